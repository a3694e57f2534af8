import { Injectable } from '@nestjs/common';
import { EntityNotFoundError, InvalidInputError } from '../common/errors/domain-errors.js';
import { ScimError } from '../common/errors/scim-error.js';
import { entityTag, tagOf, withEntityTag, type Preconditions, type Tagged } from '../common/concurrency/entity-tag.js';
import { normalizeUuid } from '../common/validation/validation.js';
import { PeopleService } from '../people/people.service.js';
import type { Sql } from '../common/query/sql-list.js';
import { filterSql, lookupAttribute } from './scim-filter.sql.js';
import { project, type Projection } from './scim-projection.js';
import { DEFAULT_PAGE_SIZE, MAX_RESULTS, URN } from './scim-schemas.js';
import { mapUser, type PersonFields, type ScimUser } from './scim-user.mapper.js';
import { userFromBody, userFromPatch, type PersonField, type UserWrite } from './scim-user-input.js';
import { ScimUsersRepository, USER_ATTRIBUTES } from './scim-users.repository.js';

/** The query of a SCIM list (contract section 13.4), as received. */
export interface ScimListQuery extends Projection {
  filter?: string;
  sortBy?: string;
  sortOrder?: string;
  startIndex?: string;
  count?: string;
}

export interface ScimList<T> {
  schemas: string[];
  totalResults: number;
  itemsPerPage: number;
  startIndex: number;
  Resources: T[];
}

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

const invalidValue = (detail: string) => new ScimError(400, 'invalidValue', detail);

/** An integer parameter (absent: undefined), else 400 invalidValue naming it. */
function integer(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[+-]?\d{1,15}$/.test(value.trim())) throw invalidValue(`${name}: must be an integer`);
  return Number(value);
}

/** Index paging (contract section 13.4): startIndex from 1 (below: 1), count 0-1000 (negative 0, above 1000). */
export function indexPage(query: ScimListQuery): { startIndex: number; count: number } {
  const startIndex = Math.max(1, integer(query.startIndex, 'startIndex') ?? 1);
  const count = Math.min(MAX_RESULTS, Math.max(0, integer(query.count, 'count') ?? DEFAULT_PAGE_SIZE));
  return { startIndex, count };
}

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
    const order = orderOf(query);
    const { startIndex, count } = indexPage(query);
    const { items, total } = await this.users.list(where, order, { limit: count, offset: startIndex - 1 }, at);
    return {
      schemas: [URN.listResponse],
      totalResults: total,
      itemsPerPage: items.length,
      startIndex,
      Resources: items.map((row) => project(mapUser(row, base, entityTag(row.id, row.entity_version)), query)),
    };
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
    const person = await this.people.createChecked(input).catch((e: unknown) => Promise.reject(asScim(e)));
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
      .updateChecked(id, { ...write.fields }, write.active, preconditions)
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

/** ORDER BY of sortBy/sortOrder (contract section 13.4); default meta.created then id. */
function orderOf(query: ScimListQuery): string {
  const order = query.sortOrder?.toLowerCase();
  if (order !== undefined && order !== 'ascending' && order !== 'descending') {
    throw invalidValue('sortOrder: must be ascending or descending');
  }
  const direction = order === 'descending' ? 'desc' : 'asc';
  if (query.sortBy === undefined) return `created_at ${direction}, id asc`;
  const spec = lookupAttribute(USER_ATTRIBUTES, query.sortBy);
  if (!spec || spec.unsortable) throw invalidValue(`sortBy: ${query.sortBy.slice(0, 200)} is not a sortable attribute`);
  const column = spec.type === 'string' && !spec.caseExact ? `lower(${spec.sql})` : spec.sql;
  return `${column} ${direction} ${direction === 'asc' ? 'nulls last' : 'nulls first'}, id asc`;
}
