import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { countedPage, whereSql, type Sql } from '../common/query/sql-list.js';
import { preparedRows } from '../database/sql.js';
import { viewColumns } from '../people/person.repository.js';
import { URN } from './scim-schemas.js';
import type { AttributeTable } from './scim-filter.sql.js';

/** A person as read for SCIM: the Opsera read model (same columns as the People API) and its version. */
export interface PersonRow {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  displayName: string | null;
  externalId: string | null;
  organization: string | null;
  business: string | null;
  department: string | null;
  group: string | null;
  team: string | null;
  managerId: string | null;
  validFrom: string | null;
  validTo: string | null;
  active: boolean;
  createdAt: string;
  updatedAt: string;
  entity_version: string;
}

const ACTIVE = '((valid_from is null or valid_from <= now()) and (valid_to is null or valid_to > now()))';
const text = (column: string, caseExact = false) => ({ sql: column, type: 'string' as const, caseExact });
const enterprise = URN.enterpriseUser.toLowerCase();
const organigram = URN.organigramUser.toLowerCase();

/**
 * The User attributes a filter or sortBy may name (contract section 13.4), over the person table's
 * columns. userName eq uses the unique index on lower(email).
 */
export const USER_ATTRIBUTES: AttributeTable = {
  id: { sql: 'id', type: 'uuid', caseExact: true },
  username: text('email'),
  externalid: text('external_id', true),
  displayname: text('display_name'),
  'name.givenname': text('first_name'),
  'name.familyname': text('last_name'),
  active: { sql: ACTIVE, type: 'boolean', caseExact: false },
  emails: text('email'),
  'emails.value': text('email'),
  'emails.type': { sql: `'work'`, type: 'string', caseExact: false, unsortable: true },
  [`${enterprise}:organization`]: text('organization'),
  organization: text('organization'),
  [`${enterprise}:division`]: text('business'),
  division: text('business'),
  [`${enterprise}:department`]: text('department'),
  department: text('department'),
  // The manager's id (contract section 13.4); eq is a probe of person_manager_idx.
  [`${enterprise}:manager.value`]: { sql: 'manager_id', type: 'uuid', caseExact: true },
  'manager.value': { sql: 'manager_id', type: 'uuid', caseExact: true },
  [`${organigram}:group`]: text('group_name'),
  group: text('group_name'),
  [`${organigram}:team`]: text('team'),
  team: text('team'),
  'meta.created': { sql: 'created_at', type: 'dateTime', caseExact: false },
  'meta.lastmodified': { sql: 'updated_at', type: 'dateTime', caseExact: false },
};

/** The SCIM reads of people: one page by a compiled filter and order, one person by id. */
@Injectable()
export class ScimUsersRepository {
  constructor(private readonly em: EntityManager) {}

  /**
   * One page and the exact total; `where` and `order` come from the allow-list above. With `after` (a
   * cursor's keyset condition), the page is read from the rows after it; `key` (the cursor's sort key
   * expression as the cursor carries it, text) is answered as `sort_key`.
   */
  async list(
    where: Sql[],
    order: string,
    page: { limit: number; offset: number },
    at: Date,
    cursor?: { after?: Sql; key: string },
  ): Promise<{ items: (PersonRow & { sort_key?: string | null })[]; total: number }> {
    const pageWhere = cursor?.after ? [...where, cursor.after] : where;
    return countedPage<PersonRow>(
      // Prepared: a filter shape (Okta's userName eq lookup above all) is one statement text, parsed once per connection.
      (statement) => preparedRows(this.em, statement),
      {
        withClause: sql``,
        from: sql`person ${whereSql(where)}`,
        pageFrom: sql`person ${whereSql(pageWhere)}`,
        order,
        id: 'id',
        select: sql`${viewColumns('page', at)}, page.version::text as entity_version${cursor ? sql`, (${sql.raw(cursor.key)})::text as sort_key` : sql``}`,
      },
      page,
    );
  }

  async view(id: string, at: Date): Promise<PersonRow | undefined> {
    const [row] = await preparedRows(
      this.em,
      sql<PersonRow>`select ${viewColumns('p', at)}, p.version::text as entity_version from person p where p.id = ${id}`,
    );
    return row;
  }
}
