import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { RelatedEntity } from '../common/errors/problem.js';
import { sql } from 'kysely';
import { activeSql, atInstantCte, INACTIVE_UNITS_CTE, inactiveUnitsAmongCte } from '../org-chart/history.sql.js';
import type { Sql } from '../common/query/sql-list.js';
import { HISTORY_FILTERS, readModel, sameNameColumns, sameNameFilters, type ListArgs } from '../org-chart/read-model.repository.js';
import { isoSql, subtreeIds } from '../org-chart/tree.sql.js';
import { rows } from '../database/sql.js';
import { ORG_PERSON_SORTS, type OrgPersonFilterDto, type OrgPersonSort } from './dto/org-person.dto.js';

/** Row shape of {@link ROWS}: exactly the 4HSE response fields. */
export interface OrgPersonRow {
  org_person_id: string;
  person_id: string;
  org_unit_id: string;
  org_role_id: string | null;
  valid_from: string | null;
  valid_to: string | null;
  owned_active: boolean;
  parent_active: boolean;
  org_unit_code: string | null;
  org_unit_name: string;
  org_role_code: string | null;
  org_role_name: string | null;
  person_first_name: string;
  person_last_name: string;
  person_email: string;
  project_id: string | null;
}

/** Which assignments a cascade concerns. */
export type AssignmentScope = { personId: string } | { roleId: string } | { unitSubtreeOf: string };

function scopeSql(scope: AssignmentScope): Sql {
  if ('personId' in scope) return sql`a.person_id = ${scope.personId}`;
  if ('roleId' in scope) return sql`a.org_role_id = ${scope.roleId}`;
  return sql`a.org_unit_id in ${subtreeIds(scope.unitSubtreeOf)}`;
}

/** Tables an assignment references by id (an allow-list: the name is interpolated). */
export type ReferencedTable = 'person' | 'org_unit' | 'org_role';

/**
 * Every assignment with its joined fields and its history flags at the instant. parent_active: the
 * person, the unit and all its ancestors (not in inactive_units), and the role when there is one, are active.
 */
const ROWS = sql.raw(`rows as not materialized (
    select a.id as org_person_id, a.person_id, a.org_unit_id, a.org_role_id,
      ${isoSql('a.valid_from')} as valid_from, ${isoSql('a.valid_to')} as valid_to,
      ${activeSql('a')} as owned_active,
      (${activeSql('pe')} and a.org_unit_id not in (select id from inactive_units) and (r.id is null or ${activeSql('r')})) as parent_active,
      u.code as org_unit_code, u.name as org_unit_name, r.code as org_role_code, r.name as org_role_name,
      pe.first_name as person_first_name, pe.last_name as person_last_name, pe.email as person_email,
      u.project_id
    from org_person a
      join person pe on pe.id = a.person_id
      join org_unit u on u.id = a.org_unit_id
      left join org_role r on r.id = a.org_role_id
      cross join at_instant
  )`);

/** The list and the view of the resource (the statements are in org-chart/read-model.repository.ts). */
const READ_MODEL = readModel<OrgPersonRow, OrgPersonFilterDto>()({
  // parent_active needs the ancestor chains of the rows' units only: a list filtered by unit and a view
  // walk up from that one unit instead of computing the inactive units of the whole forest (issue 10).
  head: (at, focus) => {
    const unitId = focus.filter?.org_unit_id;
    const inactiveUnits =
      focus.viewId !== undefined
        ? inactiveUnitsAmongCte(sql`select org_unit_id from org_person where id = ${focus.viewId}`)
        : unitId !== undefined
          ? inactiveUnitsAmongCte(sql`select ${unitId}::uuid`)
          : sql.raw(INACTIVE_UNITS_CTE);
    return sql`with recursive ${atInstantCte(at)}, ${inactiveUnits}, ${ROWS}`;
  },
  filters: {
    ...sameNameFilters('eq', ['org_person_id', 'person_id', 'org_unit_id']),
    org_role_id: { kind: 'eq-nullable', sql: 'org_role_id' },
    ...sameNameFilters('eq', ['org_unit_code', 'org_unit_name', 'org_role_code', 'org_role_name', 'person_first_name', 'person_last_name']),
    person_email: { kind: 'eq-ci', sql: 'person_email' },
    project_id: { kind: 'eq', sql: 'project_id' },
    ...HISTORY_FILTERS,
  },
  sorts: sameNameColumns(ORG_PERSON_SORTS),
  table: 'org_person',
});

const ASSIGNMENT_LABEL = sql.raw(
  `pe.first_name || ' ' || pe.last_name || ' <' || pe.email || '> in ' || u.name || coalesce(' as ' || r.name, '')`,
);

@Injectable()
export class OrgPersonRepository {
  constructor(private readonly em: EntityManager) {}

  /** True when the person, unit or role with this id exists. */
  async referencedExists(table: ReferencedTable, id: string): Promise<boolean> {
    return (await rows(this.em, sql`select 1 from ${sql.raw(table)} where id = ${id}`)).length > 0;
  }

  /** Count and the first `limit` assignments in scope, labelled for a refused delete. */
  async related(scope: AssignmentScope, limit: number): Promise<{ type: string; count: number; items: RelatedEntity[] }> {
    const predicate = scopeSql(scope);
    const [counted] = await rows(this.em, sql<{ n: number }>`select count(*)::int as n from org_person a where ${predicate}`);
    const items =
      counted.n === 0 || limit <= 0
        ? []
        : await rows(
            this.em,
            sql<RelatedEntity>`select 'org-person' as type, a.id::text as id, ${ASSIGNMENT_LABEL} as label
               from org_person a join person pe on pe.id = a.person_id join org_unit u on u.id = a.org_unit_id
               left join org_role r on r.id = a.org_role_id
              where ${predicate} order by pe.last_name, pe.first_name, a.id limit ${limit}`,
          );
    return { type: 'org-person', count: counted.n, items };
  }

  /** Deletes every assignment in scope with one statement (a forced cascade). */
  async deleteInScope(scope: AssignmentScope): Promise<void> {
    await rows(this.em, sql`delete from org_person a where ${scopeSql(scope)}`);
  }

  /** Locks the assignment FOR UPDATE (inside the caller's transaction); false when it does not exist. */
  async lock(id: string): Promise<boolean> {
    return (await rows(this.em, sql`select id from org_person where id = ${id} for update`)).length > 0;
  }

  async delete(id: string): Promise<void> {
    await rows(this.em, sql`delete from org_person where id = ${id}`);
  }

  /** The project_id of a unit and of a role (undefined for one that does not exist). */
  async projectsOf(unitId: string, roleId: string): Promise<{ unit: string | null | undefined; role: string | null | undefined }> {
    const [row] = await rows(
      this.em,
      sql<{ unit_exists: boolean; unit: string | null; role_exists: boolean; role: string | null }>`select
              exists (select 1 from org_unit where id = ${unitId}) as unit_exists, (select project_id from org_unit where id = ${unitId}) as unit,
              exists (select 1 from org_role where id = ${roleId}) as role_exists, (select project_id from org_role where id = ${roleId}) as role`,
    );
    return { unit: row.unit_exists ? row.unit : undefined, role: row.role_exists ? row.role : undefined };
  }

  /** Assignments in the unit whose role belongs to a project other than `projectId` (section 9). */
  async countRolesOutsideProject(unitId: string, projectId: string | null): Promise<number> {
    const [row] = await rows(
      this.em,
      sql<{ n: number }>`select count(*)::int as n from org_person a join org_role r on r.id = a.org_role_id
        where a.org_unit_id = ${unitId} and r.project_id is not null and r.project_id is distinct from ${projectId}::uuid`,
    );
    return row.n;
  }

  /** Assignments of the role in units of a project other than `projectId` (section 9). */
  async countUnitsOutsideProject(roleId: string, projectId: string): Promise<number> {
    const [row] = await rows(
      this.em,
      sql<{ n: number }>`select count(*)::int as n from org_person a join org_unit u on u.id = a.org_unit_id
        where a.org_role_id = ${roleId} and u.project_id is distinct from ${projectId}::uuid`,
    );
    return row.n;
  }

  /**
   * Another assignment of the same person, unit and role (other than `exceptId`) that has not ended
   * at `at` and whose period overlaps [from, to). Ended assignments never conflict, so a historicized
   * assignment can be created again.
   */
  async activeDuplicate(
    candidate: { personId: string; unitId: string; roleId: string | null; from: Date | null; to: Date | null },
    exceptId: string | null,
    at: Date,
  ): Promise<string | undefined> {
    if (candidate.to && candidate.to.getTime() <= at.getTime()) return undefined;
    const [row] = await rows(
      this.em,
      sql<{ id: string }>`select id from org_person
        where person_id = ${candidate.personId} and org_unit_id = ${candidate.unitId}
          and org_role_id is not distinct from ${candidate.roleId}::uuid and id is distinct from ${exceptId}::uuid
          and (valid_to is null or valid_to > ${at}::timestamptz)
          and tstzrange(valid_from, valid_to) && tstzrange(${candidate.from}::timestamptz, ${candidate.to}::timestamptz)
        limit 1`,
    );
    return row?.id;
  }

  /** The list and the view ({@link READ_MODEL}). */
  readonly list = (...query: ListArgs<OrgPersonFilterDto, OrgPersonSort>) => READ_MODEL.list(this.em, ...query);
  readonly view = (id: string, at: Date, asOf?: Date) => READ_MODEL.view(this.em, id, at, asOf);
}
