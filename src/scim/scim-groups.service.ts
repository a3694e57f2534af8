import { Injectable } from '@nestjs/common';
import { EntityNotFoundError } from '../common/errors/domain-errors.js';
import { entityTag, withEntityTag, type Tagged } from '../common/concurrency/entity-tag.js';
import { normalizeUuid } from '../common/validation/validation.js';
import type { Sql } from '../common/query/sql-list.js';
import { filterSql } from './scim-filter.sql.js';
import { project, type Projection } from './scim-projection.js';
import { URN } from './scim-schemas.js';
import { GROUP_ATTRIBUTES, ScimGroupsRepository, type GroupRow } from './scim-groups.repository.js';
import { indexPage, orderOf, type ScimList, type ScimListQuery } from './scim-users.service.js';

export type ScimGroup = Record<string, unknown> & { schemas: string[]; id: string };

/** Unit -> SCIM Group (contract section 13.3); members and extension attributes absent when empty. */
function mapGroup(row: GroupRow, base: string, version: string): ScimGroup {
  const extension = Object.fromEntries(
    Object.entries({ code: row.code, description: row.description, parentId: row.parent_id }).filter(([, v]) => v !== null),
  );
  const hasExtension = Object.keys(extension).length > 0;
  return {
    schemas: [URN.group, ...(hasExtension ? [URN.organigramGroup] : [])],
    id: row.id,
    ...(row.external_id !== null ? { externalId: row.external_id } : {}),
    displayName: row.name,
    ...(row.members.length > 0
      ? { members: row.members.map((m) => ({ value: m.value, type: 'User', $ref: `${base}/Users/${m.value}`, display: m.display })) }
      : {}),
    ...(hasExtension ? { [URN.organigramGroup]: extension } : {}),
    meta: { resourceType: 'Group', created: row.created, lastModified: row.last_modified, location: `${base}/Groups/${row.id}`, version },
  };
}

/**
 * SCIM Groups = the active org units of the token's project (contract section 13.3), read side: any
 * other unit is a 404 to that token and absent from its lists.
 */
@Injectable()
export class ScimGroupsService {
  constructor(private readonly groups: ScimGroupsRepository) {}

  async list(projectId: string | null, query: ScimListQuery, base: string): Promise<ScimList<ScimGroup>> {
    const where: Sql[] = query.filter === undefined ? [] : [filterSql(query.filter, GROUP_ATTRIBUTES)];
    const order = orderOf(query, GROUP_ATTRIBUTES);
    const { startIndex, count } = indexPage(query);
    const { items, total } = await this.groups.list(projectId, where, order, { limit: count, offset: startIndex - 1 }, new Date());
    return {
      schemas: [URN.listResponse],
      totalResults: total,
      itemsPerPage: items.length,
      startIndex,
      Resources: items.map((row) => project(mapGroup(row, base, entityTag(row.id, row.entity_version)), query)),
    };
  }

  async get(projectId: string | null, rawId: string, base: string, projection: Projection): Promise<Tagged<ScimGroup>> {
    const id = normalizeUuid(rawId);
    const row = id ? await this.groups.view(projectId, id, new Date()) : undefined;
    if (!row) throw new EntityNotFoundError(`No Group with id ${rawId.slice(0, 100)}.`);
    const tag = entityTag(row.id, row.entity_version);
    return withEntityTag(project(mapGroup(row, base, tag), projection), tag);
  }
}
