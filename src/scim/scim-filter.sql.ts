import { sql } from 'kysely';
import { parse, type Filter } from 'scim2-parse-filter';
import { ScimError } from '../common/errors/scim-error.js';
import type { Sql } from '../common/query/sql-list.js';
import { normalizeUuid, parseDate } from '../common/validation/validation.js';
import { URN } from './scim-schemas.js';

/**
 * SCIM filters (RFC 7644 section 3.4.2.2, contract section 13.4) to SQL: parsed by scim2-parse-filter,
 * then every attribute path is looked up in an allow-list ({@link AttributeTable}) that names its SQL
 * expression (fixed text, never from the request), and every value is a bind parameter. Anything the
 * table does not name, a value of the wrong type, an operator that makes no sense for the type, a
 * filter over {@link MAX_FILTER_LENGTH} characters, more than {@link MAX_COMPARISONS} comparisons or
 * nesting deeper than {@link MAX_NESTING}: 400 invalidFilter, before any SQL runs.
 */
export const MAX_FILTER_LENGTH = 4096;
export const MAX_COMPARISONS = 50;
export const MAX_NESTING = 32;

export interface AttributeSpec {
  /** SQL expression over the listed relation's columns (allow-listed text). */
  sql: string;
  type: 'string' | 'boolean' | 'dateTime' | 'uuid';
  caseExact: boolean;
  /** Not sortable (a constant, a multi-valued attribute). */
  unsortable?: boolean;
  /**
   * A multi-valued attribute: `sql` names a column of the rows this allow-listed `from … where …`
   * selects for the listed row, and a comparison holds when it holds for one of them.
   */
  exists?: string;
}

/** Canonical lower-case attribute paths (core unqualified, extensions also URN-qualified) -> spec. */
export type AttributeTable = Readonly<Record<string, AttributeSpec>>;

const KNOWN_URNS = [URN.user, URN.group, URN.enterpriseUser, URN.organigramUser, URN.organigramGroup].map((u) => u.toLowerCase());
const CORE_URNS = new Set([URN.user.toLowerCase(), URN.group.toLowerCase()]);

const invalid = (detail: string) => new ScimError(400, 'invalidFilter', `filter: ${detail}`);

/** The table key of an attribute path: lower case, the core schema's URN dropped. */
export function attributeKey(path: string): string {
  const lower = path.toLowerCase();
  for (const urn of KNOWN_URNS) {
    if (lower.startsWith(`${urn}:`)) return CORE_URNS.has(urn) ? lower.slice(urn.length + 1) : lower;
  }
  return lower;
}

export function lookupAttribute(table: AttributeTable, path: string): AttributeSpec | undefined {
  return Object.prototype.hasOwnProperty.call(table, attributeKey(path)) ? table[attributeKey(path)] : undefined;
}

/** Deepest parenthesis or bracket nesting outside quoted strings. */
function nesting(text: string): number {
  let depth = 0;
  let max = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === '(' || ch === '[') max = Math.max(max, ++depth);
    else if (ch === ')' || ch === ']') depth--;
  }
  return max;
}

function comparisons(filter: Filter): number {
  switch (filter.op) {
    case 'and':
    case 'or':
      return filter.filters.reduce((n, f) => n + comparisons(f), 0);
    case 'not':
      return comparisons(filter.filter);
    case '[]':
      return comparisons(filter.valFilter);
    case 'eq':
    case 'ne':
    case 'co':
    case 'sw':
    case 'ew':
    case 'gt':
    case 'ge':
    case 'lt':
    case 'le':
    case 'pr':
      return 1;
  }
}

/** Parses and checks a filter's size; the AST, or 400 invalidFilter. */
export function parseFilter(text: string): Filter {
  if (text.length > MAX_FILTER_LENGTH) throw invalid(`longer than ${MAX_FILTER_LENGTH} characters`);
  if (nesting(text) > MAX_NESTING) throw invalid(`nested deeper than ${MAX_NESTING} levels`);
  let filter: Filter;
  try {
    filter = parse(text);
  } catch {
    throw invalid('malformed (RFC 7644 section 3.4.2.2)');
  }
  if (comparisons(filter) > MAX_COMPARISONS) throw invalid(`more than ${MAX_COMPARISONS} comparisons`);
  return filter;
}

const escapeLike = (value: string) => value.replace(/[\\%_]/g, (c) => `\\${c}`);

function compare(spec: AttributeSpec, path: string, op: string, value: unknown): Sql {
  const column = sql.raw(spec.sql);
  if (op === 'pr') return spec.type === 'string' ? sql`(${column} is not null and ${column} <> '')` : sql`(${column} is not null)`;
  if (value === null) {
    if (op === 'eq') return sql`(${column} is null)`;
    if (op === 'ne') return sql`(${column} is not null)`;
    throw invalid(`${path} ${op} null makes no sense`);
  }
  switch (spec.type) {
    case 'boolean': {
      if (typeof value !== 'boolean') throw invalid(`${path} compares with true or false`);
      if (op === 'eq') return sql`(${column} = ${value})`;
      if (op === 'ne') return sql`(${column} <> ${value})`;
      throw invalid(`operator ${op} makes no sense for the boolean ${path}`);
    }
    case 'dateTime': {
      const at = parseDate(value);
      if (!at) throw invalid(`${path} compares with a date-time such as "2026-01-31T00:00:00Z"`);
      const ops: Record<string, string> = { eq: '=', ne: '<>', gt: '>', ge: '>=', lt: '<', le: '<=' };
      if (!ops[op]) throw invalid(`operator ${op} makes no sense for the date-time ${path}`);
      return sql`(${column} ${sql.raw(ops[op])} ${at}::timestamptz)`;
    }
    case 'uuid': {
      if (typeof value !== 'string') throw invalid(`${path} compares with a string`);
      const id = normalizeUuid(value);
      // Ids compare exactly; a value that is no id matches nothing (and keeps the index usable).
      if (op === 'eq') return id ? sql`(${column} = ${id}::uuid)` : sql`false`;
      if (op === 'ne') return id ? sql`(${column} <> ${id}::uuid)` : sql`true`;
      return stringCompare({ ...spec, sql: `${spec.sql}::text` }, path, op, value);
    }
    case 'string':
      if (typeof value !== 'string') throw invalid(`${path} compares with a string`);
      return stringCompare(spec, path, op, value);
  }
}

function stringCompare(spec: AttributeSpec, path: string, op: string, value: string): Sql {
  const raw = sql.raw(spec.sql);
  const column = spec.caseExact ? raw : sql`lower(${raw})`;
  const given = spec.caseExact ? sql`${value}::text` : sql`lower(${value}::text)`;
  const like = (pattern: string) =>
    spec.caseExact ? sql`(${raw} like ${pattern} escape '\\')` : sql`(lower(${raw}) like lower(${pattern}::text) escape '\\')`;
  switch (op) {
    case 'eq':
      return sql`(${column} = ${given})`;
    case 'ne':
      return sql`(${raw} is null or ${column} <> ${given})`;
    case 'co':
      return like(`%${escapeLike(value)}%`);
    case 'sw':
      return like(`${escapeLike(value)}%`);
    case 'ew':
      return like(`%${escapeLike(value)}`);
    case 'gt':
      return sql`(${column} > ${given})`;
    case 'ge':
      return sql`(${column} >= ${given})`;
    case 'lt':
      return sql`(${column} < ${given})`;
    case 'le':
      return sql`(${column} <= ${given})`;
    default:
      throw invalid(`unknown operator ${op} on ${path}`);
  }
}

function compile(filter: Filter, table: AttributeTable, prefix: string): Sql {
  switch (filter.op) {
    case 'and':
    case 'or': {
      const parts = filter.filters.map((f) => compile(f, table, prefix));
      return sql`(${sql.join(parts, filter.op === 'and' ? sql` and ` : sql` or `)})`;
    }
    case 'not':
      return sql`(not coalesce(${compile(filter.filter, table, prefix)}, false))`;
    case '[]': {
      if (prefix) throw invalid('a value filter inside a value filter');
      return compile(filter.valFilter, table, `${filter.attrPath}.`);
    }
    case 'eq':
    case 'ne':
    case 'co':
    case 'sw':
    case 'ew':
    case 'gt':
    case 'ge':
    case 'lt':
    case 'le':
    case 'pr': {
      const path = `${prefix}${filter.attrPath}`;
      const spec = lookupAttribute(table, path);
      if (!spec) throw invalid(`unknown or unfilterable attribute ${path}`);
      const condition = compare(spec, path, filter.op, filter.op === 'pr' ? undefined : filter.compValue);
      return spec.exists ? sql`exists (select 1 from ${sql.raw(spec.exists)} and ${condition})` : condition;
    }
  }
}

/** The SQL condition of a SCIM filter over the table's attributes, or 400 invalidFilter. */
export function filterSql(text: string, table: AttributeTable): Sql {
  return compile(parseFilter(text), table, '');
}
