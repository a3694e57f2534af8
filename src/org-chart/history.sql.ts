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

/**
 * inactive_units(id), the same set as {@link INACTIVE_UNITS_CTE} restricted to the units `start`
 * selects (a query of unit ids): each is walked up to its root, a handful of rows, instead of walking
 * down from every inactive unit of the forest. For statements whose rows all belong to those units
 * (a list filtered by unit, one assignment): 3.5 ms instead of 19 ms per request (docs/performance.md).
 * `union` (not `union all`) ends the walk even on a cycle, which the tree rules never allow anyway.
 * Each step reads the parent by id (`limit 1`: one row per id now and one version per id at any
 * instant): as of an instant, the planner's estimate of the chain (one row per table of the as-of
 * union) made each step a hash join over every unit, 5 ms a step instead of an index probe (issue 11
 * point 3, docs/performance.md).
 * Needs {@link atInstantCte} before it.
 */
export function inactiveUnitsAmongCte(start: Sql): Sql {
  return sql`unit_chain(start_id, id, parent_id, valid_from, valid_to) as (
    select u.id, u.id, u.parent_id, u.valid_from, u.valid_to from org_unit u where u.id in (${start})
    union
    select c.start_id, p.id, p.parent_id, p.valid_from, p.valid_to from unit_chain c
      cross join lateral (select p.id, p.parent_id, p.valid_from, p.valid_to from org_unit p where p.id = c.parent_id limit 1) p
  ),
  inactive_units(id) as (
    select distinct c.start_id from unit_chain c cross join at_instant where not ${sql.raw(activeSql('c'))}
  )`;
}
