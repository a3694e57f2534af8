import { Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import { decodeScimCursor, encodeScimCursor, listDigest, type ScimCursor } from './scim-cursor.js';
import { EntityNotFoundError, InvalidInputError } from '../common/errors/domain-errors.js';
import { ScimError } from '../common/errors/scim-error.js';
import { entityTag, tagOf, withEntityTag, type Preconditions, type Tagged } from '../common/concurrency/entity-tag.js';
import { normalizeUuid } from '../common/validation/validation.js';
import { PeopleService } from '../people/people.service.js';
import type { Sql } from '../common/query/sql-list.js';
import { filterSql, lookupAttribute, type AttributeTable } from './scim-filter.sql.js';
import { project, type Projection } from './scim-projection.js';
import { DEFAULT_PAGE_SIZE, MAX_RESULTS, URN } from './scim-schemas.js';
import { mapUser, type PersonFields, type ScimUser } from './scim-user.mapper.js';
import { userFromBody, userFromPatch, type PersonField, type UserWrite } from './scim-user-input.js';
import { ScimUsersRepository, USER_ATTRIBUTES, type PersonRow } from './scim-users.repository.js';

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

/** SCIM names of the People fields, for the messages of refused writes. */
const SCIM_NAMES: Record<PersonField, string> = {
  email: 'userName',
  firstName: 'name.givenName',
  lastName: 'name.familyName',
  displayName: 'displayName',
  externalId: 'externalId',
  organization: `${URN.enterpriseUser}:organization`,
  business: `${URN.enterpriseUser}:division`,
  department: `${URN.enterpriseUser}:department`,
  group: `${URN.organigramUser}:group`,
  team: `${URN.organigramUser}:team`,
};

/** The attribute a refused manager is named by (contract section 13.2: 400 invalidValue). */
const MANAGER = `${URN.enterpriseUser}:manager`;

const invalidValue = (detail: string) => new ScimError(400, 'invalidValue', detail);

/** The manager a write names, for PeopleService (undefined: left as it is). */
const managerOf = (write: UserWrite) => (write.manager === undefined ? undefined : { ref: write.manager, field: MANAGER });

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

/** Refused People input named in SCIM terms (the People rules' messages are kept). */
function asScim(error: unknown): Error {
  if (!(error instanceof InvalidInputError)) return error instanceof Error ? error : new Error(String(error));
  const detail = error.errors.map((e) => `${SCIM_NAMES[e.field as PersonField] ?? e.field}: ${e.message}`).join('; ');
  return invalidValue(detail);
}

/** A person id as given in a path: dashed or 32 hex in any case; anything else names no User (404). */
function pathId(raw: string): string {
  const id = normalizeUuid(raw);
  if (!id) throw new EntityNotFoundError(`No User with id ${raw.slice(0, 100)}.`);
  return id;
}

/**
 * SCIM Users = people (contract section 13.2): reads through the SCIM repository (filters compiled
 * from the allow-list), writes through PeopleService, so every SCIM write is an ordinary People
 * write with the same rules, change log and webhooks.
 */
@Injectable()
export class ScimUsersService {
  constructor(
    private readonly users: ScimUsersRepository,
    private readonly people: PeopleService,
  ) {}

  async list(query: ScimListQuery, base: string): Promise<ScimList<ScimUser>> {
    const at = new Date();
    const where: Sql[] = query.filter === undefined ? [] : [filterSql(query.filter, USER_ATTRIBUTES)];
    const map = (row: PersonRow) => project(mapUser(row, base, entityTag(row.id, row.entity_version)), query);
    if (query.cursor !== undefined) return this.cursorPage(query, where, at, map);
    const order = orderOf(query);
    const { startIndex, count } = indexPage(query);
    const { items, total } = await this.users.list(where, order, { limit: count, offset: startIndex - 1 }, at);
    return { schemas: [URN.listResponse], totalResults: total, itemsPerPage: items.length, startIndex, Resources: items.map(map) };
  }

  /**
   * Cursor paging (RFC 9865, contract section 13.4): keyset pages on (sort key, id), the sort key made
   * non-null so that a row's place is total; the cursor carries the last row's key and id, so rows
   * created or changed meanwhile never repeat or skip a row that already matched.
   */
  private async cursorPage(query: ScimListQuery, where: Sql[], at: Date, map: (row: PersonRow) => ScimUser) {
    if (query.startIndex !== undefined) throw invalidValue('startIndex: not with cursor');
    const count = integer(query.count, 'count') ?? DEFAULT_PAGE_SIZE;
    if (count < 1 || count > MAX_RESULTS) throw new ScimError(400, 'invalidCount', `count: must be 1-${MAX_RESULTS} with a cursor`);
    const { filter, sortBy, sortOrder, attributes, excludedAttributes } = query;
    const list = listDigest({ filter, sortBy, sortOrder, count, attributes, excludedAttributes });
    const sort = cursorSort(query);
    const position = query.cursor === '' || query.cursor === undefined ? undefined : decodeScimCursor(query.cursor, list);
    const after = position ? keysetAfter(sort, position) : undefined;
    const { items, total } = await this.users.list(where, sort.order, { limit: count + 1, offset: 0 }, at, { after, key: sort.text });
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

  async get(rawId: string, base: string, projection: Projection): Promise<Tagged<ScimUser>> {
    const id = pathId(rawId);
    const row = await this.users.view(id, new Date());
    if (!row) throw new EntityNotFoundError(`No User with id ${id}.`);
    return tagged(row, entityTag(row.id, row.entity_version), base, projection);
  }

  async create(body: unknown, base: string, projection: Projection): Promise<Tagged<ScimUser>> {
    const write = userFromBody(body, false);
    const input: Record<string, unknown> = { ...write.fields };
    // A POST with active false creates the person already historicized (contract section 13.2).
    if (write.active === false) input.validTo = new Date().toISOString();
    const person = await this.people.createChecked(input, managerOf(write)).catch((e: unknown) => Promise.reject(asScim(e)));
    return tagged(person, tagOf(person)!, base, projection);
  }

  replace(rawId: string, body: unknown, base: string, projection: Projection, preconditions?: Preconditions) {
    const write = userFromBody(body, true);
    assertSameId(body, rawId);
    return this.write(rawId, write, base, projection, preconditions);
  }

  patch(rawId: string, body: unknown, base: string, projection: Projection, preconditions?: Preconditions) {
    return this.write(rawId, userFromPatch(body), base, projection, preconditions);
  }

  /** The forced delete of contract section 5 (the person and their assignments). */
  async remove(rawId: string, preconditions?: Preconditions): Promise<void> {
    await this.people.removeChecked(pathId(rawId), preconditions);
  }

  private async write(rawId: string, write: UserWrite, base: string, projection: Projection, preconditions?: Preconditions) {
    const id = pathId(rawId);
    const person = await this.people
      .updateChecked(id, { ...write.fields }, write.active, preconditions, managerOf(write))
      .catch((e: unknown) => Promise.reject(asScim(e)));
    return tagged(person, tagOf(person)!, base, projection);
  }
}

function tagged(person: PersonFields, tag: string, base: string, projection: Projection): Tagged<ScimUser> {
  return withEntityTag(project(mapUser(person, base, tag), projection), tag);
}

/** PUT: an `id` in the body other than the path's is 400 mutability (the same id is ignored). */
function assertSameId(body: unknown, rawId: string): void {
  const given = Object.entries(body as Record<string, unknown>).find(([k]) => k.toLowerCase() === 'id')?.[1];
  if (given !== undefined && normalizeUuid(given) !== normalizeUuid(rawId)) throw new ScimError(400, 'mutability', 'id: is read-only');
}

/** ORDER BY of sortBy/sortOrder over a table's attributes (contract section 13.4); default meta.created then id. */
export function orderOf(query: ScimListQuery, table: AttributeTable = USER_ATTRIBUTES): string {
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

function cursorSort(query: ScimListQuery): CursorSort {
  const direction = query.sortOrder?.toLowerCase() === 'descending' ? 'desc' : 'asc';
  orderOf(query); // the same checks of sortBy and sortOrder as index paging
  const spec = query.sortBy === undefined ? undefined : lookupAttribute(USER_ATTRIBUTES, query.sortBy);
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
