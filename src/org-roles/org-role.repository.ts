import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { offsetOf, type PageRequest } from '../common/pagination/page.js';
import type { SortTerm } from '../common/pagination/sort.js';
import { sql } from 'kysely';
import { activeSql, atInstantCte } from '../org-chart/history.sql.js';
import { compileFilters, compileOrder, countedPage, whereSql, type FilterRule } from '../common/query/sql-list.js';
import { isoSql } from '../org-chart/tree.sql.js';
import { rows } from '../database/sql.js';
import type { OrgRoleDto, OrgRoleFilterDto, OrgRoleSort } from './dto/org-role.dto.js';

const ROWS = sql.raw(`rows as not materialized (
    select r.id as org_role_id, r.code, r.name, r.description, r.project_id,
      ${isoSql('r.valid_from')} as valid_from, ${isoSql('r.valid_to')} as valid_to,
      ${activeSql('r')} as owned_active, true as parent_active
    from org_role r cross join at_instant
  )`);

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
    if (!history) where.push(sql`owned_active and parent_active`);
    return countedPage<OrgRoleDto>(
      (statement) => rows(this.em, statement),
      {
        withClause: sql`with ${atInstantCte(at)}, ${ROWS}`,
        from: sql`rows ${whereSql(where)}`,
        order: compileOrder(sort, SORTS, 'org_role_id'),
        id: 'org_role_id',
      },
      { limit: page.perPage, offset: offsetOf(page) },
    );
  }

  /** The row and, in the same statement, the role's version for its ETag (`entity_version`). */
  async view(id: string, at: Date): Promise<(OrgRoleDto & { entity_version: string }) | undefined> {
    const [row] = await rows(
      this.em,
      sql<OrgRoleDto & { entity_version: string }>`with ${atInstantCte(at)}, ${ROWS}
        select rows.*, e.version::text as entity_version from rows join org_role e on e.id = rows.org_role_id where rows.org_role_id = ${id}`,
    );
    return row;
  }

  async codeTaken(projectId: string | null, code: string, exceptId: string | null): Promise<boolean> {
    const found = await rows(
      this.em,
      sql`select 1 from org_role where project_id is not distinct from ${projectId}::uuid and code = ${code} and id is distinct from ${exceptId}::uuid`,
    );
    return found.length > 0;
  }

  /** Locks the role FOR UPDATE (inside the caller's transaction); false when it does not exist. */
  async lock(id: string): Promise<boolean> {
    return (await rows(this.em, sql`select id from org_role where id = ${id} for update`)).length > 0;
  }

  async delete(id: string): Promise<void> {
    await rows(this.em, sql`delete from org_role where id = ${id}`);
  }
}
