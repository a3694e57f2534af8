import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { RelatedEntity } from '../common/errors/problem.js';
import { offsetOf, type PageRequest } from '../common/pagination/page.js';
import type { SortTerm } from '../common/pagination/sort.js';
import { activeSql, AT_INSTANT_CTE, INACTIVE_UNITS_CTE } from '../org-chart/history.sql.js';
import { compileFilters, compileOrder, countedPage, whereSql, type FilterRule } from '../common/query/sql-list.js';
import { isoSql, SUBTREE_IDS_SQL } from '../org-chart/tree.sql.js';
import { sql } from '../database/transaction.js';
import type { OrgUnitDto, OrgUnitFilterDto, OrgUnitSort } from './dto/org-unit.dto.js';

const ROWS = `rows as not materialized (
    select u.id as org_unit_id, u.code, u.name, u.description, u.parent_id as parent_org_unit_id, u.project_id,
      ${isoSql('u.valid_from')} as valid_from, ${isoSql('u.valid_to')} as valid_to,
      ${activeSql('u')} as owned_active,
      (u.parent_id is null or u.parent_id not in (select id from inactive_units)) as parent_active
    from org_unit u cross join at_instant
  )`;

const FILTERS: Record<keyof OrgUnitFilterDto, FilterRule> = {
  org_unit_id: { kind: 'eq', sql: 'org_unit_id' },
  code: { kind: 'eq', sql: 'code' },
  name: { kind: 'contains-ci', sql: 'name' },
  description: { kind: 'contains', sql: 'description' },
  parent_org_unit_id: { kind: 'eq-nullable', sql: 'parent_org_unit_id' },
  project_id: { kind: 'eq', sql: 'project_id' },
  owned_active: { kind: 'bool', sql: 'owned_active' },
  parent_active: { kind: 'bool', sql: 'parent_active' },
};

const SORTS: Record<OrgUnitSort, string> = { code: 'code', name: 'name' };

@Injectable()
export class OrgUnitRepository {
  constructor(private readonly em: EntityManager) {}

  async list(filter: OrgUnitFilterDto | undefined, sort: SortTerm<OrgUnitSort>[], page: PageRequest, history: boolean, at: Date) {
    const where = compileFilters(filter, FILTERS);
    if (!history) where.clauses.push('owned_active and parent_active');
    const base = `with recursive ${AT_INSTANT_CTE}, ${INACTIVE_UNITS_CTE}, ${ROWS}`;
    return countedPage<OrgUnitDto>(
      (query, params) => sql(this.em, query, params),
      { withClause: base, from: `rows ${whereSql(where)}`, order: compileOrder(sort, SORTS, 'org_unit_id'), id: 'org_unit_id' },
      { withClause: [at], from: where.params },
      { limit: page.perPage, offset: offsetOf(page) },
    );
  }

  async view(id: string, at: Date): Promise<OrgUnitDto | undefined> {
    const rows = await sql<OrgUnitDto>(
      this.em,
      `with recursive ${AT_INSTANT_CTE}, ${INACTIVE_UNITS_CTE}, ${ROWS} select * from rows where org_unit_id = ?`,
      [at, id],
    );
    return rows[0];
  }

  /** True when `candidate` is `unitId` itself or one of its descendants (a move there would make a cycle). */
  async isInSubtree(unitId: string, candidate: string): Promise<boolean> {
    const rows = await sql(this.em, `select 1 where ?::uuid in ${SUBTREE_IDS_SQL}`, [candidate, unitId]);
    return rows.length > 0;
  }

  /** `{ projectId }` of an existing unit, undefined when there is none. */
  async projectOf(id: string): Promise<{ projectId: string | null } | undefined> {
    const [row] = await sql<{ project_id: string | null }>(this.em, 'select project_id from org_unit where id = ?', [id]);
    return row ? { projectId: row.project_id } : undefined;
  }

  /** Child units whose project_id differs from `projectId` (null included). */
  async countChildrenOutsideProject(id: string, projectId: string | null): Promise<number> {
    const [row] = await sql<{ n: number }>(
      this.em,
      'select count(*)::int as n from org_unit where parent_id = ? and project_id is distinct from ?::uuid',
      [id, projectId],
    );
    return row.n;
  }

  async codeTaken(projectId: string | null, code: string, exceptId: string | null): Promise<boolean> {
    const rows = await sql(
      this.em,
      'select 1 from org_unit where project_id is not distinct from ?::uuid and code = ? and id is distinct from ?::uuid',
      [projectId, code, exceptId],
    );
    return rows.length > 0;
  }

  /**
   * Locks the unit and its whole subtree FOR UPDATE, repeating until the subtree is stable: once
   * every member is locked, no unit can be attached under one (the insert's foreign-key check
   * waits) and none can move out. Returns false when the unit does not exist.
   */
  async lockSubtree(tx: EntityManager, id: string): Promise<boolean> {
    let locked = -1;
    for (;;) {
      const rows = await sql(tx, `select id from org_unit where id in ${SUBTREE_IDS_SQL} order by id for update`, [id]);
      if (rows.length === 0) return false;
      if (rows.length === locked) return true;
      locked = rows.length;
    }
  }

  /** Descendant units (not the unit itself), nearest first, labelled for a refused delete. */
  async descendants(tx: EntityManager, id: string, limit: number): Promise<{ type: string; count: number; items: RelatedEntity[] }> {
    const tree = `with recursive sub(id, depth) as (
        select id, 0 from org_unit where id = ?
        union all select u.id, s.depth + 1 from org_unit u join sub s on u.parent_id = s.id
      )`;
    const [counted] = await sql<{ n: number }>(tx, `${tree} select count(*)::int as n from sub where depth > 0`, [id]);
    const items =
      counted.n === 0
        ? []
        : await sql<RelatedEntity>(
            tx,
            `${tree} select 'org-unit' as type, u.id::text as id, coalesce(u.code || ' ', '') || u.name as label
               from sub join org_unit u on u.id = sub.id where sub.depth > 0 order by sub.depth, u.name, u.id limit ?`,
            [id, limit],
          );
    return { type: 'org-unit', count: counted.n, items };
  }

  /** Deletes the unit and all its descendants in one statement (their assignments must be gone). */
  async deleteSubtree(tx: EntityManager, id: string): Promise<void> {
    await sql(tx, `delete from org_unit where id in ${SUBTREE_IDS_SQL}`, [id]);
  }
}
