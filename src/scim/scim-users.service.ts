import { Injectable } from '@nestjs/common';
import { EntityNotFoundError, InvalidInputError } from '../common/errors/domain-errors.js';
import { ScimError } from '../common/errors/scim-error.js';
import { entityTag, tagOf, withEntityTag, type Preconditions, type Tagged } from '../common/concurrency/entity-tag.js';
import { normalizeUuid } from '../common/validation/validation.js';
import { PeopleService } from '../people/people.service.js';
import type { Sql } from '../common/query/sql-list.js';
import { filterSql } from './scim-filter.sql.js';
import { cursorList, indexPage, orderOf, type ScimList, type ScimListQuery } from './scim-paging.js';
import { project, type Projection } from './scim-projection.js';
import { URN } from './scim-schemas.js';
import { mapUser, type PersonFields, type ScimUser } from './scim-user.mapper.js';
import { userFromBody, userFromPatch, type PersonField, type UserWrite } from './scim-user-input.js';
import { ScimUsersRepository, USER_ATTRIBUTES, type PersonRow } from './scim-users.repository.js';

/** SCIM names of the People fields, for the messages of refused writes. */
const SCIM_NAMES: Record<PersonField, string> = {
  email: 'userName',
  firstName: 'name.givenName',
  lastName: 'name.familyName',
  displayName: 'displayName',
  externalId: 'externalId',
  organization: `${URN.enterpriseUser}:organization`,
  business: `${URN.enterpriseUser}:division`,
  department: `${URN.enterpriseUser}:department`,
  group: `${URN.organigramUser}:group`,
  team: `${URN.organigramUser}:team`,
};

/** The attribute a refused manager is named by (contract section 13.2: 400 invalidValue). */
const MANAGER = `${URN.enterpriseUser}:manager`;

const invalidValue = (detail: string) => new ScimError(400, 'invalidValue', detail);

/** The manager a write names, for PeopleService (undefined: left as it is). */
const managerOf = (write: UserWrite) => (write.manager === undefined ? undefined : { ref: write.manager, field: MANAGER });

/** Refused People input named in SCIM terms (the People rules' messages are kept). */
function asScim(error: unknown): Error {
  if (!(error instanceof InvalidInputError)) return error instanceof Error ? error : new Error(String(error));
  const detail = error.errors.map((e) => `${SCIM_NAMES[e.field as PersonField] ?? e.field}: ${e.message}`).join('; ');
  return invalidValue(detail);
}

/** A person id as given in a path: dashed or 32 hex in any case; anything else names no User (404). */
function pathId(raw: string): string {
  const id = normalizeUuid(raw);
  if (!id) throw new EntityNotFoundError(`No User with id ${raw.slice(0, 100)}.`);
  return id;
}

/**
 * SCIM Users = people (contract section 13.2): reads through the SCIM repository (filters compiled
 * from the allow-list), writes through PeopleService, so every SCIM write is an ordinary People
 * write with the same rules, change log and webhooks.
 */
@Injectable()
export class ScimUsersService {
  constructor(
    private readonly users: ScimUsersRepository,
    private readonly people: PeopleService,
  ) {}

  async list(query: ScimListQuery, base: string): Promise<ScimList<ScimUser>> {
    const at = new Date();
    const where: Sql[] = query.filter === undefined ? [] : [filterSql(query.filter, USER_ATTRIBUTES)];
    const map = (row: PersonRow) => project(mapUser(row, base, entityTag(row.id, row.entity_version)), query);
    if (query.cursor !== undefined) {
      return cursorList(
        query,
        USER_ATTRIBUTES,
        (order, limit, keyset) => this.users.list(where, order, { limit, offset: 0 }, at, keyset),
        map,
      );
    }
    const order = orderOf(query, USER_ATTRIBUTES);
    const { startIndex, count } = indexPage(query);
    const { items, total } = await this.users.list(where, order, { limit: count, offset: startIndex - 1 }, at);
    return { schemas: [URN.listResponse], totalResults: total, itemsPerPage: items.length, startIndex, Resources: items.map(map) };
  }

  async get(rawId: string, base: string, projection: Projection): Promise<Tagged<ScimUser>> {
    const id = pathId(rawId);
    const row = await this.users.view(id, new Date());
    if (!row) throw new EntityNotFoundError(`No User with id ${id}.`);
    return tagged(row, entityTag(row.id, row.entity_version), base, projection);
  }

  async create(body: unknown, base: string, projection: Projection): Promise<Tagged<ScimUser>> {
    const write = userFromBody(body, false);
    const input: Record<string, unknown> = { ...write.fields };
    // A POST with active false creates the person already historicized (contract section 13.2).
    if (write.active === false) input.validTo = new Date().toISOString();
    const person = await this.people.createChecked(input, managerOf(write)).catch((e: unknown) => Promise.reject(asScim(e)));
    return tagged(person, tagOf(person)!, base, projection);
  }

  replace(rawId: string, body: unknown, base: string, projection: Projection, preconditions?: Preconditions) {
    const write = userFromBody(body, true);
    assertSameId(body, rawId);
    return this.write(rawId, write, base, projection, preconditions);
  }

  patch(rawId: string, body: unknown, base: string, projection: Projection, preconditions?: Preconditions) {
    return this.write(rawId, userFromPatch(body), base, projection, preconditions);
  }

  /** The forced delete of contract section 5 (the person and their assignments). */
  async remove(rawId: string, preconditions?: Preconditions): Promise<void> {
    await this.people.removeChecked(pathId(rawId), preconditions);
  }

  private async write(rawId: string, write: UserWrite, base: string, projection: Projection, preconditions?: Preconditions) {
    const id = pathId(rawId);
    const person = await this.people
      .updateChecked(id, { ...write.fields }, write.active, preconditions, managerOf(write))
      .catch((e: unknown) => Promise.reject(asScim(e)));
    return tagged(person, tagOf(person)!, base, projection);
  }
}

function tagged(person: PersonFields, tag: string, base: string, projection: Projection): Tagged<ScimUser> {
  return withEntityTag(project(mapUser(person, base, tag), projection), tag);
}

/** PUT: an `id` in the body other than the path's is 400 mutability (the same id is ignored). */
function assertSameId(body: unknown, rawId: string): void {
  const given = Object.entries(body as Record<string, unknown>).find(([k]) => k.toLowerCase() === 'id')?.[1];
  if (given !== undefined && normalizeUuid(given) !== normalizeUuid(rawId)) throw new ScimError(400, 'mutability', 'id: is read-only');
}
