import { sql } from 'kysely';
import type { Sql } from '../common/query/sql-list.js';

/**
 * SQL for the history rules of contract section 2. Every history-aware query starts with
 * `with recursive at_instant(at) as (select $1::timestamptz)` (the evaluation instant, bound once)
 * and cross-joins it, so the instant appears once among the parameters however often it is used.
 */
export function atInstantCte(at: Date): Sql {
  return sql`at_instant(at) as (select ${at}::timestamptz)`;
}

/** owned_active of the row `alias` at the instant: its own period [valid_from, valid_to) contains it. */
export function activeSql(alias: string): string {
  return `((${alias}.valid_from is null or ${alias}.valid_from <= at_instant.at) and (${alias}.valid_to is null or ${alias}.valid_to > at_instant.at))`;
}

/**
 * inactive_units(id): every unit that is not active at the instant, and all its descendants. A unit
 * "and all its ancestors are active" exactly when it is not in this set, so parent_active becomes a
 * hashed anti-join against a set that is normally tiny, instead of a walk over the whole tree on every
 * request (measured: see docs/performance.md). Needs {@link atInstantCte} before it.
 */
export const INACTIVE_UNITS_CTE = `inactive_units(id) as (
    select u.id from org_unit u cross join at_instant where not ${activeSql('u')}
    union
    select c.id from org_unit c join inactive_units i on c.parent_id = i.id
  )`;
