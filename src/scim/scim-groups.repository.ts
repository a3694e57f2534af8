import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { countedPage, whereSql, type Sql } from '../common/query/sql-list.js';
import { preparedRows } from '../database/sql.js';
import { activeSql, atInstantCte, INACTIVE_UNITS_CTE } from '../org-chart/history.sql.js';
import { isoSql } from '../org-chart/tree.sql.js';
import { URN } from './scim-schemas.js';
import type { AttributeTable } from './scim-filter.sql.js';

/** A Group as read: the unit, its members (persons with an own-active assignment in it) and a version of both. */
export interface GroupRow {
  id: string;
  name: string;
  external_id: string | null;
  code: string | null;
  description: string | null;
  parent_id: string | null;
  created: string;
  last_modified: string;
  members: { value: string; display: string }[];
  entity_version: string;
}

const organigram = URN.organigramGroup.toLowerCase();
const text = (column: string, caseExact = false) => ({ sql: column, type: 'string' as const, caseExact });

/** The Group attributes a filter or sortBy may name (contract section 13.4), over the `groups` relation. */
export const GROUP_ATTRIBUTES: AttributeTable = {
  id: { sql: 'id', type: 'uuid', caseExact: true },
  displayname: text('name'),
  externalid: text('external_id', true),
  [`${organigram}:code`]: text('code', true),
  code: text('code', true),
  'meta.created': { sql: 'created_at', type: 'dateTime', caseExact: false },
  'meta.lastmodified': { sql: 'updated_at', type: 'dateTime', caseExact: false },
};

/**
 * `groups`: the units of the project that are active now (owned_active and parent_active), the only
 * units a token of that project sees (contract section 13.3).
 */
function groupsCte(projectId: string | null, at: Date): Sql {
  return sql`with recursive ${atInstantCte(at)}, ${sql.raw(INACTIVE_UNITS_CTE)},
    groups as not materialized (
      select u.* from org_unit u cross join at_instant
       where u.project_id is not distinct from ${projectId}::uuid and ${sql.raw(activeSql('u'))}
         and u.id not in (select id from inactive_units)
    )`;
}

/** The answer columns of the group row `page`: its members and a version that moves with them. */
const GROUP_COLUMNS = sql.raw(`page.id, page.name, page.external_id, page.code, page.description, page.parent_id,
    ${isoSql('page.created_at')} as created,
    ${isoSql(`greatest(page.updated_at, (select max(a.updated_at) from org_person a where a.org_unit_id = page.id))`)} as last_modified,
    (select coalesce(json_agg(json_build_object('value', p.id, 'display', coalesce(p.display_name, p.first_name || ' ' || p.last_name)) order by p.id), '[]'::json)
       from person p
      where exists (select 1 from org_person a cross join at_instant where a.org_unit_id = page.id and a.person_id = p.id and ${activeSql('a')})) as members,
    page.version::text || '.' || (select coalesce(max(a.version), 0)::text || '.' || count(*)::text from org_person a where a.org_unit_id = page.id) as entity_version`);

@Injectable()
export class ScimGroupsRepository {
  constructor(private readonly em: EntityManager) {}

  /** One page of the project's Groups and the exact total; `where` and `order` from the allow-list above. */
  list(projectId: string | null, where: Sql[], order: string, page: { limit: number; offset: number }, at: Date) {
    return countedPage<GroupRow>(
      (statement) => preparedRows(this.em, statement),
      { withClause: groupsCte(projectId, at), from: sql`groups ${whereSql(where)}`, order, id: 'id', select: GROUP_COLUMNS },
      page,
    );
  }

  async view(projectId: string | null, id: string, at: Date): Promise<GroupRow | undefined> {
    const [row] = await preparedRows(
      this.em,
      sql<GroupRow>`${groupsCte(projectId, at)} select ${GROUP_COLUMNS} from groups page where page.id = ${id}`,
    );
    return row;
  }
}
