import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { countedPage, whereSql, type Sql } from '../common/query/sql-list.js';
import { preparedRows, rows } from '../database/sql.js';
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
  // Membership checks (Entra, contract section 13.4): a person with an own-active assignment in the unit.
  ...Object.fromEntries(
    ['members', 'members.value'].map((key) => [
      key,
      {
        sql: 'm.person_id',
        type: 'uuid' as const,
        caseExact: true,
        unsortable: true,
        exists: `org_person m cross join at_instant where m.org_unit_id = groups.id and ${activeSql('m')}`,
      },
    ]),
  ),
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

/** The members of the group row `page`: persons with an own-active assignment in the unit itself. */
const MEMBERS = `(select coalesce(json_agg(json_build_object('value', p.id, 'display', coalesce(p.display_name, p.first_name || ' ' || p.last_name)) order by p.id), '[]'::json)
       from person p
      where exists (select 1 from org_person a cross join at_instant where a.org_unit_id = page.id and a.person_id = p.id and ${activeSql('a')}))`;

/**
 * The answer columns of the group row `page`, and a version that moves with its membership; the
 * members themselves only when the answer carries them (Entra lists with excludedAttributes=members:
 * the member list was most of a page's cost).
 */
const groupColumns = (members: boolean) =>
  sql.raw(`page.id, page.name, page.external_id, page.code, page.description, page.parent_id,
    ${isoSql('page.created_at')} as created,
    ${isoSql(`greatest(page.updated_at, (select max(a.updated_at) from org_person a where a.org_unit_id = page.id))`)} as last_modified,
    ${members ? MEMBERS : `'[]'::json`} as members,
    page.version::text || '.' || (select coalesce(max(a.version), 0)::text || '.' || count(*)::text from org_person a where a.org_unit_id = page.id) as entity_version`);
const WITH_MEMBERS = groupColumns(true);
const WITHOUT_MEMBERS = groupColumns(false);

@Injectable()
export class ScimGroupsRepository {
  constructor(private readonly em: EntityManager) {}

  /** One page of the project's Groups and the exact total; `where` and `order` from the allow-list above. */
  list(
    projectId: string | null,
    where: Sql[],
    order: string,
    page: { limit: number; offset: number },
    at: Date,
    cursor?: { after?: Sql; key: string },
    members = true,
  ): Promise<{ items: (GroupRow & { sort_key?: string | null })[]; total: number }> {
    const pageWhere = cursor?.after ? [...where, cursor.after] : where;
    const columns = members ? WITH_MEMBERS : WITHOUT_MEMBERS;
    return countedPage<GroupRow>(
      (statement) => preparedRows(this.em, statement),
      {
        withClause: groupsCte(projectId, at),
        from: sql`groups ${whereSql(where)}`,
        pageFrom: sql`groups ${whereSql(pageWhere)}`,
        order,
        id: 'id',
        select: cursor ? sql`${columns}, (${sql.raw(cursor.key)})::text as sort_key` : columns,
      },
      page,
    );
  }

  async view(projectId: string | null, id: string, at: Date, members = true): Promise<GroupRow | undefined> {
    const [row] = await preparedRows(
      this.em,
      sql<GroupRow>`${groupsCte(projectId, at)} select ${members ? WITH_MEMBERS : WITHOUT_MEMBERS} from groups page where page.id = ${id}`,
    );
    return row;
  }

  /**
   * The Group locked for a write: its unit row FOR UPDATE (every SCIM write of a Group takes it first,
   * so they run one after the other), then the Group as read in the same transaction; undefined when
   * the unit is not a Group of this project now.
   */
  async lockForWrite(projectId: string | null, id: string): Promise<GroupRow | undefined> {
    const locked = await rows(this.em, sql`select id from org_unit where id = ${id} for update`);
    // Read at an instant taken once the lock is held: the writes it waited for are all in the past then.
    return locked.length === 0 ? undefined : this.view(projectId, id, new Date());
  }

  /**
   * Serializes the SCIM writes of one displayName in one project (a transaction-scoped advisory lock
   * on a hash of both) so that of several identical creates exactly one finds the name free.
   */
  async lockName(projectId: string | null, name: string): Promise<void> {
    const key = `organigram.scim-group:${projectId ?? ''}:${name.toLowerCase()}`;
    await rows(this.em, sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`);
  }

  /** A Group of the project other than `exceptId` with this displayName, case-insensitively. */
  async nameTaken(projectId: string | null, name: string, exceptId: string | null, at: Date): Promise<boolean> {
    const found = await rows(
      this.em,
      sql`${groupsCte(projectId, at)} select 1 from groups where lower(name) = lower(${name}) and id is distinct from ${exceptId}::uuid limit 1`,
    );
    return found.length > 0;
  }

  /** The ids among `ids` that name no person. */
  async unknownPeople(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const found = await rows(
      this.em,
      sql<{
        id: string;
      }>`select g.id::text as id from unnest(${[...ids]}::uuid[]) g(id) where not exists (select 1 from person p where p.id = g.id)`,
    );
    return found.map((r) => r.id);
  }

  /** The own-active assignments (any role) of these persons in the unit: what removing them as members historicizes. */
  async memberAssignments(unitId: string, personIds: readonly string[], at: Date): Promise<string[]> {
    if (personIds.length === 0) return [];
    const found = await rows(
      this.em,
      sql<{ id: string }>`with ${atInstantCte(at)} select a.id from org_person a cross join at_instant
        where a.org_unit_id = ${unitId} and a.person_id = any(${[...personIds]}::uuid[]) and ${sql.raw(activeSql('a'))} order by a.id`,
    );
    return found.map((r) => r.id);
  }
}
