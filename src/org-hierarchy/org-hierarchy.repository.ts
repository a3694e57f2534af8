import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { offsetOf, type PageRequest } from '../common/pagination/page.js';
import { compileFilters, whereSql, type FilterRule, type Sql } from '../common/query/sql-list.js';
import { rows } from '../database/sql.js';
import { activeSql, atInstantCte, inactivePeopleSql, INACTIVE_UNITS_CTE } from '../org-chart/history.sql.js';
import { isoSql } from '../org-chart/tree.sql.js';
import type { AncestorDto, DescendantDto, DescendantsFilterDto, HeadCounts } from './dto/org-hierarchy.dto.js';

/**
 * The org-unit response fields of the unit `u` at the instant (needs `at_instant` and
 * `inactive_units`): the same columns and flags as the org-unit index (src/org-units).
 */
const UNIT_FIELDS = `u.id as org_unit_id, u.code, u.name, u.description, u.parent_id as parent_org_unit_id, u.project_id, u.external_id,
      ${isoSql('u.valid_from')} as valid_from, ${isoSql('u.valid_to')} as valid_to,
      ${activeSql('u')} as owned_active,
      (u.parent_id is null or not exists (select from inactive_units i where i.id = u.parent_id)) as parent_active`;

/** owned_active of the unit `u`; a unit below an active one is visible exactly when this holds. */
const ACTIVE_U = sql.raw(activeSql('u'));

const FILTERS: Record<keyof DescendantsFilterDto, FilterRule> = {
  org_unit_id: { kind: 'eq', sql: 'org_unit_id' },
  code: { kind: 'eq', sql: 'code' },
  name: { kind: 'contains-ci', sql: 'name' },
  description: { kind: 'contains', sql: 'description' },
  parent_org_unit_id: { kind: 'eq-nullable', sql: 'parent_org_unit_id' },
  project_id: { kind: 'eq', sql: 'project_id' },
  owned_active: { kind: 'bool', sql: 'owned_active' },
  parent_active: { kind: 'bool', sql: 'parent_active' },
};

/**
 * CTEs ending in `head_counts(org_unit_id, head_count, total_head_count)` for the units of `units` (a
 * subquery of ids, typically a CTE of the same statement). Contract section 11: distinct persons with
 * an active assignment (the assignment, its person and its role, when it has one, active at the
 * instant) in an active unit (not in `inactive_units`, so its ancestors are active too), in the unit
 * itself (head_count) or in its subtree (total_head_count). The subtree walk stops at inactive units,
 * whose subtrees count for nothing. A unit without such persons has no row (coalesce to 0). Needs
 * `at_instant` and `inactive_units` before it, in a `with recursive`. With `asOf`, the statement is an
 * as-of read, and `inactive_people` the people inactive as recorded then (inactivePeopleSql).
 *
 * Measured on the bench data (docs/decisions.md, "Hierarchy reads"), the cost is reading the
 * assignments, not walking the tree, so each is read once:
 * - `unit_people`: the distinct (unit, person) pairs of the units in any counted subtree, through
 *   per-unit index-only scans of org_person_unit_cover_idx (the `offset 0` keeps the planner, which
 *   cannot estimate the size of a recursive CTE, from reading the whole table instead), persons
 *   checked against `inactive_people` (the usually few ended or not yet started people, found through
 *   the partial indexes on valid_to and valid_from) rather than looked up one by one, and roles against
 *   `inactive_roles` (a hashed anti-join, 10-40% faster than joining every assignment to its role);
 * - total_head_count = the sum of the subtree's per-unit counts, minus, for each person in more than
 *   one unit of the subtree, the extra times they were counted (persons in several units are the
 *   exception, so this correction reads few rows).
 */
function headCountsCtes(units: Sql, asOf: Date | undefined): Sql {
  return sql`inactive_people(id) as (${inactivePeopleSql(sql`(select at from at_instant)`, asOf)}),
    inactive_roles(id) as (select r.id from org_role r cross join at_instant where not (${sql.raw(activeSql('r'))})),
    count_scope(top, id) as (
      select s.id, s.id from ${units} s where not exists (select from inactive_units i where i.id = s.id)
      union all
      select c.top, u.id from count_scope c join org_unit u on u.parent_id = c.id cross join at_instant where ${ACTIVE_U}
    ),
    scope_units(id) as (select distinct id from count_scope),
    unit_people(unit_id, person_id) as materialized (
      select distinct a.org_unit_id, a.person_id
        from scope_units s
        cross join lateral (
          select a.org_unit_id, a.person_id, a.org_role_id, a.valid_from, a.valid_to from org_person a where a.org_unit_id = s.id offset 0
        ) a
        cross join at_instant
       where ${sql.raw(activeSql('a'))}
         and (a.org_role_id is null or not exists (select from inactive_roles ir where ir.id = a.org_role_id))
         and not exists (select from inactive_people ip where ip.id = a.person_id)
    ),
    unit_heads(unit_id, n) as (select unit_id, count(*) from unit_people group by unit_id),
    multi_people(person_id) as (select person_id from unit_people group by person_id having count(*) > 1),
    duplicates(top, n) as (
      select c.top, count(*) - count(distinct up.person_id)
        from count_scope c join unit_people up on up.unit_id = c.id join multi_people m on m.person_id = up.person_id
       group by c.top
    ),
    head_counts(org_unit_id, head_count, total_head_count) as (
      select c.top, (coalesce(sum(h.n) filter (where h.unit_id = c.top), 0))::int, (coalesce(sum(h.n), 0) - coalesce(min(d.n), 0))::int
        from count_scope c left join unit_heads h on h.unit_id = c.id left join duplicates d on d.top = c.top
       group by c.top
    )`;
}

const COUNT_COLUMNS = sql.raw('coalesce(hc.head_count, 0) as head_count, coalesce(hc.total_head_count, 0) as total_head_count');

/** A page of descendants, and whether the given unit exists at all. */
export interface DescendantsPage {
  found: boolean;
  items: DescendantDto[];
  total: number;
}

/**
 * Hierarchy reads (contract section 11): ancestors, descendants and head counts, each one statement
 * over a recursive walk of org_unit from the given unit (docs/decisions.md, "Hierarchy reads").
 * Every statement takes the evaluation instant `at` once (`at_instant`); with `asOf` (a point-in-time
 * read, contract section 10.2) the same statement reads the tables as recorded then (database/sql.ts).
 */
@Injectable()
export class OrgHierarchyRepository {
  constructor(private readonly em: EntityManager) {}

  /**
   * The unit itself (depth = its own depth, `self` true) and its ancestors, root first; empty when
   * the unit does not exist. Without `history`, ancestors hidden by section 2 are left out (an
   * inactive ancestor and everything below it: the chain then stops above it).
   */
  async ancestors(id: string, at: Date, history: boolean, withCounts: boolean, asOf?: Date): Promise<(AncestorDto & { self: boolean })[]> {
    const visible = history
      ? sql`true`
      : sql`(c.n = 0 or (${sql.raw(activeSql('u'))} and (u.parent_id is null or not exists (select from inactive_units i where i.id = u.parent_id))))`;
    const counts = withCounts ? sql`, ${headCountsCtes(sql`(select org_unit_id as id from chain_rows)`, asOf)}` : sql``;
    const found = await rows(
      this.em,
      sql<AncestorDto & { self: boolean; head_count?: number; total_head_count?: number }>`with recursive ${atInstantCte(at)},
        ${sql.raw(INACTIVE_UNITS_CTE)},
        chain(id, parent_id, n) as (
          select id, parent_id, 0 from org_unit where id = ${id}
          union all
          select u.id, u.parent_id, c.n + 1 from chain c join org_unit u on u.id = c.parent_id
        ),
        chain_rows as (
          select ${sql.raw(UNIT_FIELDS)}, ((select max(n) from chain) - c.n)::int as depth, c.n = 0 as self
            from chain c join org_unit u on u.id = c.id cross join at_instant
           where ${visible}
        )${counts}
      select r.*${withCounts ? sql`, ${COUNT_COLUMNS}` : sql``}
        from chain_rows r ${withCounts ? sql`left join head_counts hc on hc.org_unit_id = r.org_unit_id` : sql``}
       order by r.depth`,
      asOf,
    );
    return found;
  }

  /**
   * One page of the descendants of `id` (not the unit itself) down to `maxDepth` levels (all when
   * undefined), depth first with siblings by name then id, filtered, with the exact total; and head
   * counts of the page's units when asked. One statement: the subtree is walked once (a recursive CTE
   * is computed once however often it is read), the page and the count read it.
   *
   * Depth-first order: each row carries `sort_key`, the text array [name, id, name, id, ...] of its
   * chain from the first level down to itself. Arrays compare element by element and a prefix sorts
   * first, so ordering by it lists a unit right before its subtree, siblings by name then id.
   */
  async descendants(
    id: string,
    options: {
      maxDepth?: number;
      filter?: DescendantsFilterDto;
      history: boolean;
      withCounts: boolean;
      page: PageRequest;
      at: Date;
      asOf?: Date;
    },
  ): Promise<DescendantsPage> {
    const where = compileFilters(options.filter, FILTERS);
    if (!options.history) where.push(sql`owned_active and parent_active`);
    // The walk stops below maxDepth, and (without history) below hidden units: their subtrees are hidden too.
    const stops: Sql[] = [];
    if (options.maxDepth !== undefined) stops.push(sql`t.depth < ${options.maxDepth}`);
    if (!options.history) stops.push(sql`t.owned_active and t.parent_active`);
    const walk = whereSql(stops);
    const counts = options.withCounts ? sql`, ${headCountsCtes(sql`(select org_unit_id as id from page)`, options.asOf)}` : sql``;
    const found = await rows(
      this.em,
      sql<DescendantDto & { found: boolean; total_rows: number; sort_key: string[] | null }>`with recursive ${atInstantCte(options.at)},
        ${sql.raw(INACTIVE_UNITS_CTE)},
        tree(id, code, name, description, parent_id, project_id, external_id, valid_from, valid_to, owned_active, parent_active, depth, path, sort_key) as (
          select u.id, u.code, u.name, u.description, u.parent_id, u.project_id, u.external_id, u.valid_from, u.valid_to, ${ACTIVE_U},
                 (u.parent_id is null or not exists (select from inactive_units i where i.id = u.parent_id)), 0, array[]::uuid[], array[]::text[]
            from org_unit u cross join at_instant where u.id = ${id}
          union all
          select u.id, u.code, u.name, u.description, u.parent_id, u.project_id, u.external_id, u.valid_from, u.valid_to, ${ACTIVE_U},
                 t.owned_active and t.parent_active, t.depth + 1, t.path || t.id, t.sort_key || array[u.name::text, u.id::text]
            from tree t join org_unit u on u.parent_id = t.id cross join at_instant ${walk}
        ),
        rows as not materialized (
          select t.id as org_unit_id, t.code, t.name, t.description, t.parent_id as parent_org_unit_id, t.project_id, t.external_id,
                 ${sql.raw(isoSql('t.valid_from'))} as valid_from, ${sql.raw(isoSql('t.valid_to'))} as valid_to,
                 t.owned_active, t.parent_active, t.depth, t.path::text[] as path, t.sort_key
            from tree t
           where t.depth > 0
        ),
        page as materialized (
          select * from rows ${whereSql(where)} order by sort_key, org_unit_id
           limit ${options.page.perPage} offset ${offsetOf(options.page)}
        )${counts}
      select exists (select 1 from tree) as found, (select count(*)::int from rows ${whereSql(where)}) as total_rows,
             page.*${options.withCounts ? sql`, ${COUNT_COLUMNS}` : sql``}
        from (select) one
        left join page on true
        ${options.withCounts ? sql`left join head_counts hc on hc.org_unit_id = page.org_unit_id` : sql``}
       order by page.sort_key, page.org_unit_id`,
      options.asOf,
    );
    const first = found[0];
    const items = found
      .filter((row) => row.org_unit_id !== null)
      .map(({ found: _found, total_rows: _total, sort_key: _key, ...item }) => item);
    return { found: first?.found ?? false, total: first?.total_rows ?? 0, items };
  }

  /** Head counts of the given units at the instant; a unit that does not exist is absent from the map. */
  async headCounts(ids: readonly string[], at: Date, asOf?: Date): Promise<Map<string, HeadCounts>> {
    if (ids.length === 0) return new Map();
    const found = await rows(
      this.em,
      sql<HeadCounts & { org_unit_id: string }>`with recursive ${atInstantCte(at)}, ${sql.raw(INACTIVE_UNITS_CTE)},
        wanted(id) as (select unnest(${[...ids]}::uuid[])),
        ${headCountsCtes(sql`wanted`, asOf)}
      select w.id as org_unit_id, ${COUNT_COLUMNS} from wanted w left join head_counts hc on hc.org_unit_id = w.id`,
      asOf,
    );
    return new Map(found.map(({ org_unit_id, ...counts }) => [org_unit_id, counts]));
  }
}
