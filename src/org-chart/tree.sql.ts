import { sql } from 'kysely';
import type { Sql } from '../common/query/sql-list.js';

/** The ids of a unit and all its descendants, as a parenthesized subquery. */
export function subtreeIds(rootId: string): Sql {
  return sql`(with recursive subtree(id) as (
    select ${rootId}::uuid
    union all
    select u.id from org_unit u join subtree s on u.parent_id = s.id
  ) select id from subtree)`;
}

/** ISO 8601 UTC with milliseconds, formatted by PostgreSQL (raw rows carry no Date objects). */
export function isoSql(expression: string): string {
  return `to_char(${expression} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}
