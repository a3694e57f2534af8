import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { RelatedEntity } from '../common/errors/problem.js';
import { sql } from 'kysely';
import { activeSql, atInstantCte, INACTIVE_UNITS_CTE } from '../org-chart/history.sql.js';
import { CODED_FILTERS, HISTORY_FILTERS, readModel, sameNameColumns, type ListArgs } from '../org-chart/read-model.repository.js';
import { isoSql, subtreeIds } from '../org-chart/tree.sql.js';
import { codeTakenIn } from '../org-chart/coded.repository.js';
import { rows } from '../database/sql.js';
import { ORG_UNIT_SORTS, type OrgUnitDto, type OrgUnitFilterDto, type OrgUnitSort } from './dto/org-unit.dto.js';

const ROWS = sql.raw(`rows as not materialized (
    select u.id as org_unit_id, u.code, u.name, u.description, u.parent_id as parent_org_unit_id, u.project_id, u.external_id,
      ${isoSql('u.valid_from')} as valid_from, ${isoSql('u.valid_to')} as valid_to,
      ${activeSql('u')} as owned_active,
      (u.parent_id is null or u.parent_id not in (select id from inactive_units)) as parent_active
    from org_unit u cross join at_instant
  )`);

/** The list and the view of the resource (the statements are in org-chart/read-model.repository.ts). */
const READ_MODEL = readModel<OrgUnitDto, OrgUnitFilterDto>()({
  head: (at) => sql`with recursive ${atInstantCte(at)}, ${sql.raw(INACTIVE_UNITS_CTE)}, ${ROWS}`,
  filters: {
    org_unit_id: { kind: 'eq', sql: 'org_unit_id' },
    ...CODED_FILTERS,
    parent_org_unit_id: { kind: 'eq-nullable', sql: 'parent_org_unit_id' },
    project_id: { kind: 'eq', sql: 'project_id' },
    ...HISTORY_FILTERS,
  },
  sorts: sameNameColumns(ORG_UNIT_SORTS),
  table: 'org_unit',
});

@Injectable()
export class OrgUnitRepository {
  constructor(private readonly em: EntityManager) {}

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

  /** True when another org unit (not `exceptId`) has this code in this project. */
  readonly codeTaken = (projectId: string | null, code: string, exceptId: string | null) =>
    codeTakenIn(this.em, 'org_unit', projectId, code, exceptId);

  /** The list and the view ({@link READ_MODEL}). */
  readonly list = (...query: ListArgs<OrgUnitFilterDto, OrgUnitSort>) => READ_MODEL.list(this.em, ...query);
  readonly view = (id: string, at: Date, asOf?: Date) => READ_MODEL.view(this.em, id, at, asOf);
}
