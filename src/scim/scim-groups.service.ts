import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { EntityNotFoundError, InvalidInputError } from '../common/errors/domain-errors.js';
import { ScimError } from '../common/errors/scim-error.js';
import { assertPreconditions, entityTag, withEntityTag, type Preconditions, type Tagged } from '../common/concurrency/entity-tag.js';
import { normalizeUuid } from '../common/validation/validation.js';
import type { Sql } from '../common/query/sql-list.js';
import { inTransaction } from '../database/transaction.js';
import { OrgUnitsService } from '../org-units/org-units.service.js';
import { OrgPersonService } from '../org-person/org-person.service.js';
import { filterSql } from './scim-filter.sql.js';
import { GROUP_SCIM_NAMES, groupFromBody, groupFromPatch, membersAfter, type GroupField, type GroupWrite } from './scim-group-input.js';
import { cursorList, indexPage, orderOf, type ScimList, type ScimListQuery } from './scim-paging.js';
import { project, type Projection } from './scim-projection.js';
import { URN } from './scim-schemas.js';
import { GROUP_ATTRIBUTES, ScimGroupsRepository, type GroupRow } from './scim-groups.repository.js';

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

const groupTag = (row: GroupRow) => entityTag(row.id, row.entity_version);

/** Whether an answer under this projection carries members (else they are not read at all). */
const membersAnswered = (projection: Projection) =>
  project({ schemas: [], id: '', members: [{ value: '', display: '' }] }, projection).members !== undefined;
const invalidValue = (detail: string) => new ScimError(400, 'invalidValue', detail);

/** The unit fields of a Group as read, by 4HSE name, to tell what a write changes. */
const CURRENT: Record<GroupField, (row: GroupRow) => string | null> = {
  name: (row) => row.name,
  external_id: (row) => row.external_id,
  code: (row) => row.code,
  description: (row) => row.description,
  parent_org_unit_id: (row) => row.parent_id,
};

/** A Group id as given in a path: dashed or 32 hex in any case; anything else names no Group (404). */
function pathId(raw: string): string {
  const id = normalizeUuid(raw);
  if (!id) throw new EntityNotFoundError(`No Group with id ${raw.slice(0, 100)}.`);
  return id;
}

/** Refused org-unit or assignment input named in SCIM terms (the org rules' messages are kept). */
function asScim(error: unknown): Error {
  if (!(error instanceof InvalidInputError)) return error instanceof Error ? error : new Error(String(error));
  return invalidValue(error.errors.map((e) => `${GROUP_SCIM_NAMES[e.field] ?? e.field}: ${e.message}`).join('; '));
}

/**
 * SCIM Groups = the active org units of the token's project (contract section 13.3): any other unit is
 * a 404 to that token and absent from its lists. Writes go through OrgUnitsService (create, update,
 * historicize) and OrgPersonService (a member added: an assignment created; removed: its assignments
 * historicized), inside one transaction per request that first locks the unit, so every SCIM write is
 * an ordinary write with the same rules, change log and webhooks.
 */
@Injectable()
export class ScimGroupsService {
  constructor(
    private readonly em: EntityManager,
    private readonly groups: ScimGroupsRepository,
    private readonly units: OrgUnitsService,
    private readonly assignments: OrgPersonService,
  ) {}

  async list(projectId: string | null, query: ScimListQuery, base: string): Promise<ScimList<ScimGroup>> {
    const at = new Date();
    const where: Sql[] = query.filter === undefined ? [] : [filterSql(query.filter, GROUP_ATTRIBUTES)];
    const map = (row: GroupRow) => project(mapGroup(row, base, groupTag(row)), query);
    if (query.cursor !== undefined) {
      return cursorList(
        query,
        GROUP_ATTRIBUTES,
        (order, limit, keyset) => this.groups.list(projectId, where, order, { limit, offset: 0 }, at, keyset, membersAnswered(query)),
        map,
      );
    }
    const order = orderOf(query, GROUP_ATTRIBUTES);
    const { startIndex, count } = indexPage(query);
    const page = { limit: count, offset: startIndex - 1 };
    const { items, total } = await this.groups.list(projectId, where, order, page, at, undefined, membersAnswered(query));
    return { schemas: [URN.listResponse], totalResults: total, itemsPerPage: items.length, startIndex, Resources: items.map(map) };
  }

  async get(projectId: string | null, rawId: string, base: string, projection: Projection): Promise<Tagged<ScimGroup>> {
    const id = pathId(rawId);
    const row = await this.groups.view(projectId, id, new Date(), membersAnswered(projection));
    if (!row) throw new EntityNotFoundError(`No Group with id ${id}.`);
    return tagged(row, base, projection);
  }

  /** POST /Groups: a unit of the token's project (under parentId, else a root) and its initial members. */
  async create(projectId: string | null, body: unknown, base: string, projection: Projection): Promise<Tagged<ScimGroup>> {
    const write = groupFromBody(body, false);
    const members = [...membersAfter([], write.members)];
    const row = await inTransaction(this.em, async () => {
      const { name, parent_org_unit_id: parent } = write.fields;
      if (typeof name === 'string') await this.assertNameFree(projectId, name, null);
      if (parent) await this.assertParent(projectId, parent);
      await this.assertPeople(members);
      const unit = await this.units.createChecked({ ...write.fields, project_id: projectId });
      await this.addMembers(unit.org_unit_id, members);
      return this.reread(projectId, unit.org_unit_id);
    }).catch((e: unknown) => Promise.reject(asScim(e)));
    return tagged(row, base, projection);
  }

  /** PUT /Groups/{id}: the whole Group (members absent: unchanged; present: exactly those). */
  async replace(
    projectId: string | null,
    rawId: string,
    body: unknown,
    base: string,
    projection: Projection,
    preconditions?: Preconditions,
  ) {
    const id = pathId(rawId);
    const row = await this.write(projectId, id, groupFromBody(body, true, id), preconditions);
    return tagged(row, base, projection);
  }

  /** PATCH /Groups/{id}: answered 204 with the new ETag (contract section 13.5). */
  async patch(projectId: string | null, rawId: string, body: unknown, preconditions?: Preconditions): Promise<string> {
    const id = pathId(rawId);
    return groupTag(await this.write(projectId, id, groupFromPatch(body, id), preconditions));
  }

  /** DELETE /Groups/{id}: the unit historicized (its children and assignments hidden, nothing deleted). */
  async remove(projectId: string | null, rawId: string, preconditions?: Preconditions): Promise<void> {
    const id = pathId(rawId);
    await inTransaction(this.em, async () => {
      await this.lockGroup(projectId, id, preconditions);
      await this.units.historicize(id, {});
    });
  }

  /** The Group locked, If-Match checked against the Group's ETag under that lock; 404 when it is no Group of the token. */
  private async lockGroup(projectId: string | null, id: string, preconditions: Preconditions | undefined): Promise<GroupRow> {
    const current = await this.groups.lockForWrite(projectId, id);
    if (!current) throw new EntityNotFoundError(`No Group with id ${id}.`);
    assertPreconditions(preconditions, groupTag(current), 'Group');
    return current;
  }

  /**
   * A PUT or PATCH in one transaction: the unit fields that change (only those: a write that changes
   * nothing records nothing) through OrgUnitsService.update, then the membership difference.
   */
  private write(projectId: string | null, id: string, write: GroupWrite, preconditions: Preconditions | undefined): Promise<GroupRow> {
    return inTransaction(this.em, async () => {
      const current = await this.lockGroup(projectId, id, preconditions);
      const changed = Object.fromEntries(
        Object.entries(write.fields).filter(([field, value]) => value !== CURRENT[field as GroupField](current)),
      );
      if (Object.keys(changed).length > 0) {
        if (typeof changed.name === 'string') await this.assertNameFree(projectId, changed.name, id);
        if (changed.parent_org_unit_id) await this.assertParent(projectId, changed.parent_org_unit_id);
        await this.units.updateChecked(id, changed);
      }
      const before = current.members.map((m) => m.value);
      const after = membersAfter(before, write.members);
      const added = [...after].filter((person) => !before.includes(person));
      await this.assertPeople(added);
      await this.addMembers(id, added);
      await this.removeMembers(
        id,
        before.filter((person) => !after.has(person)),
      );
      return this.reread(projectId, id);
    }).catch((e: unknown) => Promise.reject(asScim(e)));
  }

  /** displayName is unique case-insensitively among the project's Groups for SCIM writes (409 uniqueness), race-free. */
  private async assertNameFree(projectId: string | null, name: string, exceptId: string | null): Promise<void> {
    await this.groups.lockName(projectId, name);
    if (await this.groups.nameTaken(projectId, name, exceptId, new Date())) {
      throw new ScimError(409, 'uniqueness', `displayName: a Group named ${JSON.stringify(name)} exists`);
    }
  }

  /** parentId must be a Group of the token: an active unit of the same project (cycles: OrgUnitsService). */
  private async assertParent(projectId: string | null, parentId: string): Promise<void> {
    if (!(await this.groups.view(projectId, parentId, new Date()))) {
      throw invalidValue(`${URN.organigramGroup}:parentId: no Group with id ${parentId}`);
    }
  }

  /** Every member named must be a person: else 400 invalidValue and the request changes nothing. */
  private async assertPeople(ids: readonly string[]): Promise<void> {
    const unknown = await this.groups.unknownPeople(ids);
    if (unknown.length > 0) throw invalidValue(`members: no User with id ${unknown.slice(0, 10).join(', ')}`);
  }

  /** A member added: a role-less assignment valid from now (org-person create). */
  private async addMembers(unitId: string, persons: readonly string[]): Promise<void> {
    const from = new Date();
    for (const person of persons) {
      await this.assignments.create({ person_id: person, org_unit_id: unitId, valid_from: from });
    }
  }

  /** A member removed: each of their own-active assignments in the unit, roles included, historicized. */
  private async removeMembers(unitId: string, persons: readonly string[]): Promise<void> {
    for (const assignment of await this.groups.memberAssignments(unitId, persons, new Date())) {
      await this.assignments.historicize(assignment, {});
    }
  }

  /** The Group as just written, in the write's transaction. */
  private async reread(projectId: string | null, id: string): Promise<GroupRow> {
    const row = await this.groups.view(projectId, id, new Date());
    if (!row) throw new EntityNotFoundError(`No Group with id ${id}.`);
    return row;
  }
}

function tagged(row: GroupRow, base: string, projection: Projection): Tagged<ScimGroup> {
  const tag = groupTag(row);
  return withEntityTag(project(mapGroup(row, base, tag), projection), tag);
}
