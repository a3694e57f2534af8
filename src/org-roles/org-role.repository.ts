import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { activeSql, atInstantCte } from '../org-chart/history.sql.js';
import { CODED_FILTERS, HISTORY_FILTERS, readModel, sameNameColumns, type ListArgs } from '../org-chart/read-model.repository.js';
import { isoSql } from '../org-chart/tree.sql.js';
import { codeTakenIn } from '../org-chart/coded.repository.js';
import { rows } from '../database/sql.js';
import { ORG_ROLE_SORTS, type OrgRoleDto, type OrgRoleFilterDto, type OrgRoleSort } from './dto/org-role.dto.js';

const ROWS = sql.raw(`rows as not materialized (
    select r.id as org_role_id, r.code, r.name, r.description, r.project_id,
      ${isoSql('r.valid_from')} as valid_from, ${isoSql('r.valid_to')} as valid_to,
      ${activeSql('r')} as owned_active, true as parent_active
    from org_role r cross join at_instant
  )`);

/** The list and the view of the resource (the statements are in org-chart/read-model.repository.ts). */
const READ_MODEL = readModel<OrgRoleDto, OrgRoleFilterDto>()({
  head: (at) => sql`with ${atInstantCte(at)}, ${ROWS}`,
  filters: {
    org_role_id: { kind: 'eq', sql: 'org_role_id' },
    ...CODED_FILTERS,
    project_id: { kind: 'eq', sql: 'project_id' },
    ...HISTORY_FILTERS,
  },
  sorts: sameNameColumns(ORG_ROLE_SORTS),
  table: 'org_role',
});

@Injectable()
export class OrgRoleRepository {
  constructor(private readonly em: EntityManager) {}

  /** Locks the role FOR UPDATE (inside the caller's transaction); false when it does not exist. */
  async lock(id: string): Promise<boolean> {
    return (await rows(this.em, sql`select id from org_role where id = ${id} for update`)).length > 0;
  }

  async delete(id: string): Promise<void> {
    await rows(this.em, sql`delete from org_role where id = ${id}`);
  }

  /** True when another org role (not `exceptId`) has this code in this project. */
  readonly codeTaken = (projectId: string | null, code: string, exceptId: string | null) =>
    codeTakenIn(this.em, 'org_role', projectId, code, exceptId);

  /** The list and the view ({@link READ_MODEL}). */
  readonly list = (...query: ListArgs<OrgRoleFilterDto, OrgRoleSort>) => READ_MODEL.list(this.em, ...query);
  readonly view = (id: string, at: Date, asOf?: Date) => READ_MODEL.view(this.em, id, at, asOf);
}
