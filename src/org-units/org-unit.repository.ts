import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { RelatedEntity } from '../common/errors/problem.js';
import { offsetOf, type PageRequest } from '../common/pagination/page.js';
import type { SortTerm } from '../common/pagination/sort.js';
import { sql } from 'kysely';
import { activeSql, atInstantCte, INACTIVE_UNITS_CTE } from '../org-chart/history.sql.js';
import { compileFilters, compileOrder, countedPage, whereSql, type FilterRule } from '../common/query/sql-list.js';
import { isoSql, subtreeIds } from '../org-chart/tree.sql.js';
import { rows } from '../database/sql.js';
import type { OrgUnitDto, OrgUnitFilterDto, OrgUnitSort } from './dto/org-unit.dto.js';

const ROWS = sql.raw(`rows as not materialized (
    select u.id as org_unit_id, u.code, u.name, u.description, u.parent_id as parent_org_unit_id, u.project_id,
      ${isoSql('u.valid_from')} as valid_from, ${isoSql('u.valid_to')} as valid_to,
      ${activeSql('u')} as owned_active,
      (u.parent_id is null or u.parent_id not in (select id from inactive_units)) as parent_active
    from org_unit u cross join at_instant
  )`);

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
    if (!history) where.push(sql`owned_active and parent_active`);
    return countedPage<OrgUnitDto>(
      (statement) => rows(this.em, statement),
      {
        withClause: sql`with recursive ${atInstantCte(at)}, ${sql.raw(INACTIVE_UNITS_CTE)}, ${ROWS}`,
        from: sql`rows ${whereSql(where)}`,
        order: compileOrder(sort, SORTS, 'org_unit_id'),
        id: 'org_unit_id',
      },
      { limit: page.perPage, offset: offsetOf(page) },
    );
  }

  /** The row and, in the same statement, the unit's version for its ETag (`entity_version`). */
  async view(id: string, at: Date): Promise<(OrgUnitDto & { entity_version: string }) | undefined> {
    const [row] = await rows(
      this.em,
      sql<OrgUnitDto & { entity_version: string }>`with recursive ${atInstantCte(at)}, ${sql.raw(INACTIVE_UNITS_CTE)}, ${ROWS}
        select rows.*, e.version::text as entity_version from rows join org_unit e on e.id = rows.org_unit_id where rows.org_unit_id = ${id}`,
    );
    return row;
  }

  /** True when a unit with this id exists. */
  async exists(id: string): Promise<boolean> {
    return (await rows(this.em, sql`select 1 from org_unit where id = ${id}`)).length > 0;
  }

  /** True when `candidate` is `unitId` itself or one of its descendants (a move there would make a cycle). */
  async isInSubtree(unitId: string, candidate: string): Promise<boolean> {
    return (await rows(this.em, sql`select 1 where ${candidate}::uuid in ${subtreeIds(unitId)}`)).length > 0;
  }

  /** `{ projectId }` of an existing unit, undefined when there is none. */
  async projectOf(id: string): Promise<{ projectId: string | null } | undefined> {
    const [row] = await rows(this.em, sql<{ project_id: string | null }>`select project_id from org_unit where id = ${id}`);
    return row ? { projectId: row.project_id } : undefined;
  }

  /** Child units whose project_id differs from `projectId` (null included). */
  async countChildrenOutsideProject(id: string, projectId: string | null): Promise<number> {
    const [row] = await rows(
      this.em,
      sql<{
        n: number;
      }>`select count(*)::int as n from org_unit where parent_id = ${id} and project_id is distinct from ${projectId}::uuid`,
    );
    return row.n;
  }

  async codeTaken(projectId: string | null, code: string, exceptId: string | null): Promise<boolean> {
    const found = await rows(
      this.em,
      sql`select 1 from org_unit where project_id is not distinct from ${projectId}::uuid and code = ${code} and id is distinct from ${exceptId}::uuid`,
    );
    return found.length > 0;
  }

  /**
   * Locks the unit and its whole subtree FOR UPDATE, repeating until the subtree is stable: once
   * every member is locked, no unit can be attached under one (the insert's foreign-key check
   * waits) and none can move out. Returns false when the unit does not exist. Call it inside a
   * transaction (the injected EntityManager follows it).
   */
  async lockSubtree(id: string): Promise<boolean> {
    let locked = -1;
    for (;;) {
      const found = await rows(this.em, sql`select id from org_unit where id in ${subtreeIds(id)} order by id for update`);
      if (found.length === 0) return false;
      if (found.length === locked) return true;
      locked = found.length;
    }
  }

  /** Descendant units (not the unit itself), nearest first, labelled for a refused delete. */
  async descendants(id: string, limit: number): Promise<{ type: string; count: number; items: RelatedEntity[] }> {
    const tree = sql`with recursive sub(id, depth) as (
        select id, 0 from org_unit where id = ${id}
        union all select u.id, s.depth + 1 from org_unit u join sub s on u.parent_id = s.id
      )`;
    const [counted] = await rows(this.em, sql<{ n: number }>`${tree} select count(*)::int as n from sub where depth > 0`);
    const items =
      counted.n === 0
        ? []
        : await rows(
            this.em,
            sql<RelatedEntity>`${tree} select 'org-unit' as type, u.id::text as id, coalesce(u.code || ' ', '') || u.name as label
               from sub join org_unit u on u.id = sub.id where sub.depth > 0 order by sub.depth, u.name, u.id limit ${limit}`,
          );
    return { type: 'org-unit', count: counted.n, items };
  }

  /** Deletes the unit and all its descendants in one statement (their assignments must be gone). */
  async deleteSubtree(id: string): Promise<void> {
    await rows(this.em, sql`delete from org_unit where id in ${subtreeIds(id)}`);
  }
}
