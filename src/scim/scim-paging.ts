import { sql } from 'kysely';
import { ScimError } from '../common/errors/scim-error.js';
import type { Sql } from '../common/query/sql-list.js';
import { decodeScimCursor, encodeScimCursor, listDigest, type ScimCursor } from './scim-cursor.js';
import { lookupAttribute, type AttributeTable } from './scim-filter.sql.js';
import type { Projection } from './scim-projection.js';
import { DEFAULT_PAGE_SIZE, MAX_RESULTS, URN } from './scim-schemas.js';

/**
 * SCIM list paging (contract section 13.4) for every resource over its attribute table: sortBy and
 * sortOrder, index paging, and cursor paging (RFC 9865).
 */

const invalidValue = (detail: string) => new ScimError(400, 'invalidValue', detail);

/** The query of a SCIM list (contract section 13.4), as received. */
export interface ScimListQuery extends Projection {
  filter?: string;
  sortBy?: string;
  sortOrder?: string;
  startIndex?: string;
  count?: string;
  cursor?: string;
}

export interface ScimList<T> {
  schemas: string[];
  totalResults: number;
  itemsPerPage: number;
  startIndex?: number;
  nextCursor?: string;
  Resources: T[];
}

/** An integer parameter (absent: undefined), else 400 invalidValue naming it. */
function integer(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[+-]?\d{1,15}$/.test(value.trim())) throw invalidValue(`${name}: must be an integer`);
  return Number(value);
}

/** Index paging (contract section 13.4): startIndex from 1 (below: 1), count 0-1000 (negative 0, above 1000). */
export function indexPage(query: ScimListQuery): { startIndex: number; count: number } {
  const startIndex = Math.max(1, integer(query.startIndex, 'startIndex') ?? 1);
  const count = Math.min(MAX_RESULTS, Math.max(0, integer(query.count, 'count') ?? DEFAULT_PAGE_SIZE));
  return { startIndex, count };
}

/** ORDER BY of sortBy/sortOrder over a table's attributes (contract section 13.4); default meta.created then id. */
export function orderOf(query: ScimListQuery, table: AttributeTable): string {
  const order = query.sortOrder?.toLowerCase();
  if (order !== undefined && order !== 'ascending' && order !== 'descending') {
    throw invalidValue('sortOrder: must be ascending or descending');
  }
  const direction = order === 'descending' ? 'desc' : 'asc';
  if (query.sortBy === undefined) return `created_at ${direction}, id asc`;
  const spec = lookupAttribute(table, query.sortBy);
  if (!spec || spec.unsortable) throw invalidValue(`sortBy: ${query.sortBy.slice(0, 200)} is not a sortable attribute`);
  const column = spec.type === 'string' && !spec.caseExact ? `lower(${spec.sql})` : spec.sql;
  return `${column} ${direction} ${direction === 'asc' ? 'nulls last' : 'nulls first'}, id asc`;
}

/**
 * The keyset order of cursor paging: a non-null key expression, how the cursor carries it as text
 * (`text`) and casts it back (`cast`), the ORDER BY.
 */
interface CursorSort {
  key: string;
  text: string;
  cast: 'text' | 'timestamptz' | 'int' | 'uuid';
  direction: 'asc' | 'desc';
  order: string;
}

/** A timestamp as a cursor carries it: UTC to the microsecond, whatever the session's DateStyle and TimeZone. */
const timestampText = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** What a cursor's key must look like for each cast (a well-formed cursor of another version is refused, not cast). */
const KEY_SHAPES: Record<CursorSort['cast'], RegExp> = {
  text: /^/,
  timestamptz: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/,
  int: /^[01]$/,
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
};

function cursorSort(query: ScimListQuery, table: AttributeTable): CursorSort {
  const direction = query.sortOrder?.toLowerCase() === 'descending' ? 'desc' : 'asc';
  orderOf(query, table); // the same checks of sortBy and sortOrder as index paging
  const spec = query.sortBy === undefined ? undefined : lookupAttribute(table, query.sortBy);
  // The default, meta.created: the column itself, so that person_created_id_idx answers a page after any cursor.
  let [key, text, cast]: [string, string, CursorSort['cast']] = ['created_at', timestampText('created_at'), 'timestamptz'];
  const as = (expression: string, c: CursorSort['cast']): [string, string, CursorSort['cast']] => [expression, `(${expression})::text`, c];
  if (spec?.type === 'string') [key, text, cast] = as(`coalesce(${spec.caseExact ? spec.sql : `lower(${spec.sql})`}, '')`, 'text');
  else if (spec?.type === 'dateTime') [key, text, cast] = [spec.sql, timestampText(spec.sql), 'timestamptz'];
  else if (spec?.type === 'boolean') [key, text, cast] = as(`(${spec.sql})::int`, 'int');
  else if (spec?.type === 'uuid' && spec.sql === 'id') [key, text, cast] = as('id', 'uuid');
  else if (spec?.type === 'uuid') [key, text, cast] = as(`coalesce(${spec.sql}::text, '')`, 'text');
  return { key, text, cast, direction, order: `${key} ${direction}, id asc` };
}

/**
 * Rows strictly after the cursor's row in the cursor order. Ascending, a row comparison, which an
 * index on (key, id) answers as a range (the key is never null); descending (key desc, id asc), the
 * expanded form.
 */
function keysetAfter(sort: CursorSort, cursor: ScimCursor): Sql {
  if (cursor.key === null || !KEY_SHAPES[sort.cast].test(cursor.key)) {
    throw new ScimError(400, 'invalidCursor', 'cursor: is not a cursor of this list (take nextCursor of the page before)');
  }
  const key = sql.raw(sort.key);
  const value = sql`${cursor.key}::${sql.raw(sort.cast)}`;
  if (sort.direction === 'asc') return sql`((${key}, id) > (${value}, ${cursor.id}::uuid))`;
  return sql`(${key} < ${value} or (${key} = ${value} and id > ${cursor.id}::uuid))`;
}

/** One keyset page as a resource's repository reads it: the rows after `after` in `order`, each with its `sort_key` (the text of `key`). */
export type KeysetRead<Row> = (
  order: string,
  limit: number,
  keyset: { after?: Sql; key: string },
) => Promise<{ items: (Row & { id: string; sort_key?: string | null })[]; total: number }>;

/**
 * Cursor paging (RFC 9865, contract section 13.4): keyset pages on (sort key, id), the sort key made
 * non-null so that a row's place is total; the cursor carries the last row's key and id, so rows
 * created or changed meanwhile never repeat or skip a row that already matched; its digest ties it to
 * the list's other parameters.
 */
export async function cursorList<Row extends object, T>(
  query: ScimListQuery,
  table: AttributeTable,
  read: KeysetRead<Row>,
  map: (row: Row) => T,
): Promise<ScimList<T>> {
  if (query.startIndex !== undefined) throw invalidValue('startIndex: not with cursor');
  const count = integer(query.count, 'count') ?? DEFAULT_PAGE_SIZE;
  if (count < 1 || count > MAX_RESULTS) throw new ScimError(400, 'invalidCount', `count: must be 1-${MAX_RESULTS} with a cursor`);
  const { filter, sortBy, sortOrder, attributes, excludedAttributes } = query;
  const list = listDigest({ filter, sortBy, sortOrder, count, attributes, excludedAttributes });
  const sort = cursorSort(query, table);
  const position = query.cursor === '' || query.cursor === undefined ? undefined : decodeScimCursor(query.cursor, list);
  const after = position ? keysetAfter(sort, position) : undefined;
  const { items, total } = await read(sort.order, count + 1, { after, key: sort.text });
  const page = items.slice(0, count);
  const last = page.at(-1);
  const nextCursor = items.length > count && last ? encodeScimCursor({ key: last.sort_key ?? null, id: last.id }, list) : undefined;
  return {
    schemas: [URN.listResponse],
    totalResults: total,
    itemsPerPage: page.length,
    ...(nextCursor ? { nextCursor } : {}),
    Resources: page.map(map),
  };
}
