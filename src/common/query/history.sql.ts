/**
 * SQL for the history rules of contract section 2. Every history-aware query starts with
 * `with recursive at_instant(at) as (select ?::timestamptz)` (the evaluation instant, bound once) and
 * cross-joins it, so the instant appears once among the parameters however often it is used.
 */
export const AT_INSTANT_CTE = 'at_instant(at) as (select ?::timestamptz)';

/** owned_active of the row `alias` at the instant: its own period [valid_from, valid_to) contains it. */
export function activeSql(alias: string): string {
  return `((${alias}.valid_from is null or ${alias}.valid_from <= at_instant.at) and (${alias}.valid_to is null or ${alias}.valid_to > at_instant.at))`;
}

/**
 * unit_state(id, owned_active, parent_active) for every unit, walking the tree from the roots once:
 * parent_active is true when every ancestor is active. Needs AT_INSTANT_CTE before it.
 */
export const UNIT_STATE_CTE = `unit_state(id, owned_active, parent_active) as (
    select u.id, ${activeSql('u')}, true from org_unit u cross join at_instant where u.parent_id is null
    union all
    select c.id, ${activeSql('c')}, s.owned_active and s.parent_active
      from org_unit c join unit_state s on c.parent_id = s.id cross join at_instant
  )`;
