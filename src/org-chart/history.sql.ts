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

/** The row `alias` of a history table (`<table>_history`) is the version recorded at `asOf`: open then. */
export function openAtSql(alias: string, asOf: Date): Sql {
  const a = sql.raw(alias);
  return sql`${a}.sys_from <= ${asOf} and coalesce(${a}.sys_to, 'infinity'::timestamptz) > ${asOf}`;
}

/**
 * Ids of the people not active at `at` (an SQL expression: a bound instant, or `(select at from
 * at_instant)`), now or as recorded at `asOf`, without reading the people one by one:
 * - now: the two partial indexes on valid_to and valid_from (index-only, a few percent of the people);
 * - as of `asOf`: those of now but the live rows whose version of then is not the live one (inserted
 *   after `asOf`, or with a past version open at `asOf`: updated since), and the past versions open at
 *   `asOf` that are inactive. For a recent instant every part is a short index range
 *   (Migration20261201130000_person_sys_since explains the two sets); read through `person_as_of`, the
 *   live rows were each read for their `sys_from` (100 ms instead of 1 ms on the bench data).
 * The tables are named `only person` and `person_history`, which the as-of rewrite of a statement
 * leaves as they are (database/sql.ts, recordedAt): this part reads the history itself.
 */
export function inactivePeopleSql(at: Sql, asOf?: Date): Sql {
  const now = sql`select pe.id from only person pe where pe.valid_to is not null and pe.valid_to <= ${at}
    union
    select pe.id from only person pe where pe.valid_from is not null and pe.valid_from > ${at}`;
  if (asOf === undefined) return now;
  return sql`(${now}
      except
      select pe.id from only person pe where pe.sys_since > ${asOf}
      except
      select h.id from person_history h where ${openAtSql('h', asOf)})
    union
    select h.id from person_history h
     where ${openAtSql('h', asOf)} and not ((h.valid_from is null or h.valid_from <= ${at}) and (h.valid_to is null or h.valid_to > ${at}))`;
}
