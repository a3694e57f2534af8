import { sql } from 'kysely';
import { ScimError } from '../common/errors/scim-error.js';
import type { Sql } from '../common/query/sql-list.js';
import { decodeScimCursor, encodeScimCursor, listDigest } from './scim-cursor.js';
import { lookupAttribute, type AttributeTable } from './scim-filter.sql.js';
import { DEFAULT_PAGE_SIZE, MAX_RESULTS, URN } from './scim-schemas.js';
import { orderOf, type ScimList, type ScimListQuery } from './scim-users.service.js';

/** One keyset page as a resource's repository reads it: the rows after `after` in `order`, each with its `sort_key`. */
export type KeysetRead<Row> = (
  order: string,
  limit: number,
  keyset: { after?: Sql; key: string },
) => Promise<{ items: (Row & { id: string; sort_key?: string | null })[]; total: number }>;

const CASTS = { string: 'text', dateTime: 'numeric', boolean: 'int', uuid: 'uuid' } as const;

/**
 * Cursor paging (RFC 9865, contract section 13.4) over any resource's attribute table: keyset pages on
 * (a non-null sort key, id). The cursor carries the last row's key and id, so rows created or changed
 * between requests never make a row that already matched repeat or be skipped; its digest ties it to
 * the list's other parameters.
 */
export async function cursorList<Row extends object, T>(
  query: ScimListQuery,
  table: AttributeTable,
  read: KeysetRead<Row>,
  map: (row: Row) => T,
): Promise<ScimList<T>> {
  if (query.startIndex !== undefined) throw new ScimError(400, 'invalidValue', 'startIndex: not with cursor');
  const raw = query.count ?? String(DEFAULT_PAGE_SIZE);
  if (!/^\s*[+-]?\d{1,15}\s*$/.test(raw)) throw new ScimError(400, 'invalidValue', 'count: must be an integer');
  const count = Number(raw);
  if (count < 1 || count > MAX_RESULTS) throw new ScimError(400, 'invalidCount', `count: must be 1-${MAX_RESULTS} with a cursor`);
  const { filter, sortBy, sortOrder, attributes, excludedAttributes } = query;
  const list = listDigest({ filter, sortBy, sortOrder, count, attributes, excludedAttributes });
  orderOf(query, table); // the checks of sortBy and sortOrder of index paging
  const direction = sortOrder?.toLowerCase() === 'descending' ? 'desc' : 'asc';
  const spec = sortBy === undefined ? undefined : lookupAttribute(table, sortBy);
  const column = spec?.sql ?? 'created_at';
  // The id sorts as itself (its index); another uuid attribute (a reference, maybe absent) as text.
  const type = spec?.type === 'uuid' && column !== 'id' ? 'string' : (spec?.type ?? 'dateTime');
  const key = {
    string: `coalesce(${spec?.caseExact ? `${column}::text` : `lower(${column})`}, '')`,
    dateTime: `extract(epoch from ${column})`,
    boolean: `(${column})::int`,
    uuid: 'id',
  }[type];
  const position = query.cursor ? decodeScimCursor(query.cursor, list) : undefined;
  let after: Sql | undefined;
  if (position) {
    const value = sql`${position.key}::${sql.raw(CASTS[type])}`;
    const beyond = direction === 'asc' ? sql`${sql.raw(key)} > ${value}` : sql`${sql.raw(key)} < ${value}`;
    after = sql`(${beyond} or (${sql.raw(key)} = ${value} and id > ${position.id}::uuid))`;
  }
  const { items, total } = await read(`${key} ${direction}, id asc`, count + 1, { after, key });
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
