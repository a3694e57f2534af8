import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { offsetOf, type PageRequest } from '../common/pagination/page.js';
import type { SortTerm } from '../common/pagination/sort.js';
import { activeSql, AT_INSTANT_CTE } from '../org-chart/history.sql.js';
import { compileFilters, compileOrder, countedPage, whereSql, type FilterRule } from '../common/query/sql-list.js';
import { isoSql } from '../org-chart/tree.sql.js';
import { sql } from '../database/transaction.js';
import type { OrgRoleDto, OrgRoleFilterDto, OrgRoleSort } from './dto/org-role.dto.js';

const ROWS = `rows as not materialized (
    select r.id as org_role_id, r.code, r.name, r.description, r.project_id,
      ${isoSql('r.valid_from')} as valid_from, ${isoSql('r.valid_to')} as valid_to,
      ${activeSql('r')} as owned_active, true as parent_active
    from org_role r cross join at_instant
  )`;

const FILTERS: Record<keyof OrgRoleFilterDto, FilterRule> = {
  org_role_id: { kind: 'eq', sql: 'org_role_id' },
  code: { kind: 'eq', sql: 'code' },
  name: { kind: 'contains-ci', sql: 'name' },
  description: { kind: 'contains', sql: 'description' },
  project_id: { kind: 'eq', sql: 'project_id' },
  owned_active: { kind: 'bool', sql: 'owned_active' },
  parent_active: { kind: 'bool', sql: 'parent_active' },
};

const SORTS: Record<OrgRoleSort, string> = { code: 'code', name: 'name' };

@Injectable()
export class OrgRoleRepository {
  constructor(private readonly em: EntityManager) {}

  async list(filter: OrgRoleFilterDto | undefined, sort: SortTerm<OrgRoleSort>[], page: PageRequest, history: boolean, at: Date) {
    const where = compileFilters(filter, FILTERS);
    if (!history) where.clauses.push('owned_active and parent_active');
    const base = `with ${AT_INSTANT_CTE}, ${ROWS}`;
    return countedPage<OrgRoleDto>(
      (query, params) => sql(this.em, query, params),
      { withClause: base, from: `rows ${whereSql(where)}`, order: compileOrder(sort, SORTS, 'org_role_id'), id: 'org_role_id' },
      { withClause: [at], from: where.params },
      { limit: page.perPage, offset: offsetOf(page) },
    );
  }

  async view(id: string, at: Date): Promise<OrgRoleDto | undefined> {
    const rows = await sql<OrgRoleDto>(this.em, `with ${AT_INSTANT_CTE}, ${ROWS} select * from rows where org_role_id = ?`, [at, id]);
    return rows[0];
  }

  async codeTaken(projectId: string | null, code: string, exceptId: string | null): Promise<boolean> {
    const rows = await sql(
      this.em,
      'select 1 from org_role where project_id is not distinct from ?::uuid and code = ? and id is distinct from ?::uuid',
      [projectId, code, exceptId],
    );
    return rows.length > 0;
  }

  async lock(tx: EntityManager, id: string): Promise<boolean> {
    return (await sql(tx, 'select id from org_role where id = ? for update', [id])).length > 0;
  }

  async delete(tx: EntityManager, id: string): Promise<void> {
    await sql(tx, 'delete from org_role where id = ?', [id]);
  }
}
