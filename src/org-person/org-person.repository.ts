import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { RelatedEntity } from '../common/errors/problem.js';
import { offsetOf, type PageRequest } from '../common/pagination/page.js';
import type { SortTerm } from '../common/pagination/sort.js';
import { activeSql, AT_INSTANT_CTE, INACTIVE_UNITS_CTE } from '../org-chart/history.sql.js';
import { compileFilters, compileOrder, countedPage, whereSql, type FilterRule } from '../common/query/sql-list.js';
import { isoSql, SUBTREE_IDS_SQL } from '../org-chart/tree.sql.js';
import { sql } from '../database/transaction.js';
import type { OrgPersonFilterDto, OrgPersonSort } from './dto/org-person.dto.js';

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

function scopeSql(scope: AssignmentScope): { predicate: string; param: string } {
  if ('personId' in scope) return { predicate: 'a.person_id = ?', param: scope.personId };
  if ('roleId' in scope) return { predicate: 'a.org_role_id = ?', param: scope.roleId };
  return { predicate: `a.org_unit_id in ${SUBTREE_IDS_SQL}`, param: scope.unitSubtreeOf };
}

/**
 * Every assignment with its joined fields and its history flags at the instant. parent_active: the
 * person, the unit and all its ancestors (not in inactive_units), and the role when there is one, are active.
 */
const ROWS = `rows as not materialized (
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
  )`;

const FILTERS: Record<keyof OrgPersonFilterDto, FilterRule> = {
  org_person_id: { kind: 'eq', sql: 'org_person_id' },
  person_id: { kind: 'eq', sql: 'person_id' },
  org_unit_id: { kind: 'eq', sql: 'org_unit_id' },
  org_role_id: { kind: 'eq-nullable', sql: 'org_role_id' },
  org_unit_code: { kind: 'eq', sql: 'org_unit_code' },
  org_unit_name: { kind: 'eq', sql: 'org_unit_name' },
  org_role_code: { kind: 'eq', sql: 'org_role_code' },
  org_role_name: { kind: 'eq', sql: 'org_role_name' },
  person_first_name: { kind: 'eq', sql: 'person_first_name' },
  person_last_name: { kind: 'eq', sql: 'person_last_name' },
  person_email: { kind: 'eq-ci', sql: 'person_email' },
  project_id: { kind: 'eq', sql: 'project_id' },
  owned_active: { kind: 'bool', sql: 'owned_active' },
  parent_active: { kind: 'bool', sql: 'parent_active' },
};

const SORTS: Record<OrgPersonSort, string> = {
  org_person_id: 'org_person_id',
  person_id: 'person_id',
  org_unit_id: 'org_unit_id',
  org_role_id: 'org_role_id',
  person_first_name: 'person_first_name',
  person_last_name: 'person_last_name',
  org_unit_name: 'org_unit_name',
  org_role_name: 'org_role_name',
};

const ASSIGNMENT_LABEL = `pe.first_name || ' ' || pe.last_name || ' <' || pe.email || '> in ' || u.name || coalesce(' as ' || r.name, '')`;

@Injectable()
export class OrgPersonRepository {
  constructor(private readonly em: EntityManager) {}

  async list(
    filter: OrgPersonFilterDto | undefined,
    sort: SortTerm<OrgPersonSort>[],
    page: PageRequest,
    history: boolean,
    at: Date,
  ): Promise<{ items: OrgPersonRow[]; total: number }> {
    const where = compileFilters(filter, FILTERS);
    if (!history) where.clauses.push('owned_active and parent_active');
    const base = `with recursive ${AT_INSTANT_CTE}, ${INACTIVE_UNITS_CTE}, ${ROWS}`;
    return countedPage<OrgPersonRow>(
      (query, params) => sql(this.em, query, params),
      { withClause: base, from: `rows ${whereSql(where)}`, order: compileOrder(sort, SORTS, 'org_person_id'), id: 'org_person_id' },
      { withClause: [at], from: where.params },
      { limit: page.perPage, offset: offsetOf(page) },
    );
  }

  async view(id: string, at: Date, tx: EntityManager = this.em): Promise<OrgPersonRow | undefined> {
    const rows = await sql<OrgPersonRow>(
      tx,
      `with recursive ${AT_INSTANT_CTE}, ${INACTIVE_UNITS_CTE}, ${ROWS} select * from rows where org_person_id = ?`,
      [at, id],
    );
    return rows[0];
  }

  /** Count and the first `limit` assignments in scope, labelled for a refused delete. */
  async related(
    tx: EntityManager,
    scope: AssignmentScope,
    limit: number,
  ): Promise<{ type: string; count: number; items: RelatedEntity[] }> {
    const { predicate, param } = scopeSql(scope);
    const [counted] = await sql<{ n: number }>(tx, `select count(*)::int as n from org_person a where ${predicate}`, [param]);
    const items =
      counted.n === 0 || limit <= 0
        ? []
        : await sql<RelatedEntity>(
            tx,
            `select 'org-person' as type, a.id::text as id, ${ASSIGNMENT_LABEL} as label
               from org_person a join person pe on pe.id = a.person_id join org_unit u on u.id = a.org_unit_id
               left join org_role r on r.id = a.org_role_id
              where ${predicate} order by pe.last_name, pe.first_name, a.id limit ?`,
            [param, limit],
          );
    return { type: 'org-person', count: counted.n, items };
  }

  /** Deletes every assignment in scope with one statement (a forced cascade). */
  async deleteInScope(tx: EntityManager, scope: AssignmentScope): Promise<void> {
    const { predicate, param } = scopeSql(scope);
    await sql(tx, `delete from org_person a where ${predicate}`, [param]);
  }

  /** The project_id of a unit and of a role (undefined for one that does not exist). */
  async projectsOf(unitId: string, roleId: string): Promise<{ unit: string | null | undefined; role: string | null | undefined }> {
    const [row] = await sql<{ unit_exists: boolean; unit: string | null; role_exists: boolean; role: string | null }>(
      this.em,
      `select exists (select 1 from org_unit where id = ?) as unit_exists, (select project_id from org_unit where id = ?) as unit,
              exists (select 1 from org_role where id = ?) as role_exists, (select project_id from org_role where id = ?) as role`,
      [unitId, unitId, roleId, roleId],
    );
    return { unit: row.unit_exists ? row.unit : undefined, role: row.role_exists ? row.role : undefined };
  }

  /** Assignments in the unit whose role belongs to a project other than `projectId` (section 9). */
  async countRolesOutsideProject(unitId: string, projectId: string | null): Promise<number> {
    const [row] = await sql<{ n: number }>(
      this.em,
      `select count(*)::int as n from org_person a join org_role r on r.id = a.org_role_id
        where a.org_unit_id = ? and r.project_id is not null and r.project_id is distinct from ?::uuid`,
      [unitId, projectId],
    );
    return row.n;
  }

  /** Assignments of the role in units of a project other than `projectId` (section 9). */
  async countUnitsOutsideProject(roleId: string, projectId: string): Promise<number> {
    const [row] = await sql<{ n: number }>(
      this.em,
      `select count(*)::int as n from org_person a join org_unit u on u.id = a.org_unit_id
        where a.org_role_id = ? and u.project_id is distinct from ?::uuid`,
      [roleId, projectId],
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
    const rows = await sql<{ id: string }>(
      this.em,
      `select id from org_person
        where person_id = ? and org_unit_id = ? and org_role_id is not distinct from ?::uuid and id is distinct from ?::uuid
          and (valid_to is null or valid_to > ?::timestamptz)
          and tstzrange(valid_from, valid_to) && tstzrange(?::timestamptz, ?::timestamptz)
        limit 1`,
      [candidate.personId, candidate.unitId, candidate.roleId, exceptId, at, candidate.from, candidate.to],
    );
    return rows[0]?.id;
  }
}
