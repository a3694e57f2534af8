import type { EntityName } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { entityTag, withEntityTag, type Preconditions, type Tagged } from '../common/concurrency/entity-tag.js';
import { EntityNotFoundError } from '../common/errors/domain-errors.js';
import type { Page, PageRequest } from '../common/pagination/page.js';
import { parseSort, type SortTerm } from '../common/pagination/sort.js';
import type { CountedPage } from '../common/query/sql-list.js';
import { violatedConstraint } from '../database/database-errors.js';
import { inTransaction } from '../database/transaction.js';
import { deleteWithRules, type DeletionPlan } from './deletion.js';
import type { OrgDeleteQueryDto } from './org-api.dto.js';
import type { VersionedRow } from './read-model.repository.js';
import { applyHistoricize } from './validity.js';
import { lockForWrite, type Versioned } from './write-lock.js';

/**
 * What the three 4HSE resources (org-unit, org-role, org-person) share, written once as plain
 * functions driven by one {@link OrgResource} entry per resource: list, view, historicize, the
 * not-found problem, the constraint-to-error mapping of writes, and the historicize branch of a
 * delete; with them the ETag of every single-entity answer and the If-Match / If-None-Match check of
 * every write, under the write's row lock (contract section 10.4). Create, the rules of an update and
 * the deletion plans stay explicit in each service. The route decorators
 * and the role matrix (policies) are in `org-routes.ts`, the read-model statements in
 * `read-model.repository.ts`.
 */

/** An entity of the directory: its id, its version (behind its ETag) and the validity period a historicize changes. */
export interface OrgEntity extends Versioned {
  id: string;
  validFrom?: Date | null;
  validTo?: Date | null;
  updatedAt: Date;
}

/** What a write was about, for the error a violated constraint becomes. */
export interface WriteAttempt {
  /** The entity's id (a taken primary key names it). */
  id: string;
  /** The code written (units and roles; a taken code names it). */
  code?: string | null;
  /** The field a project mismatch is reported on: the one this request changes. */
  projectField?: string;
}

/** The list and view read model of a resource, as its repository answers them. */
export interface ReadModelRepository<Row, F, S extends string> {
  list(filter: F | undefined, sort: SortTerm<S>[], page: PageRequest, history: boolean, at: Date, asOf?: Date): Promise<CountedPage<Row>>;
  view(id: string, at: Date, asOf?: Date): Promise<VersionedRow<Row> | undefined>;
}

/** POST /v2/{res}/index body, as the shared list reads it. */
export interface IndexRequest<F> {
  filter?: F;
  sort?: string;
  history?: boolean;
  /** A point-in-time read (contract section 10.2); absent or null: now. */
  as_of?: Date | null;
  pageRequest(): PageRequest;
}

/** One entry of the per-resource table. */
export interface OrgResource<E extends OrgEntity, Row, Dto, S extends string> {
  /** The path segment (`/v2/org-unit`), also the noun of the not-found problem: `No org-unit with id ...`. */
  readonly name: 'org-unit' | 'org-role' | 'org-person';
  /** The noun of a 412 problem: `If-Match: the org unit has changed since ...`. */
  readonly noun: string;
  readonly entity: EntityName<E>;
  /** Fields `sort` may name. */
  readonly sorts: readonly S[];
  /** Read-model row -> response (the identity where the row already is the response). */
  toDto(row: Row): Dto;
  /**
   * Violated constraint -> the error the service's own check gives for it. The checks give the
   * messages; the constraints and triggers settle races between concurrent writers.
   */
  readonly constraints: Readonly<Record<string, (write: WriteAttempt) => Error>>;
}

/** A resource bound to what its service was given: the EntityManager and its repository. */
export interface OrgContext<E extends OrgEntity, Row, Dto, F, S extends string> {
  readonly em: EntityManager;
  readonly rows: ReadModelRepository<Row, F, S>;
  readonly resource: OrgResource<E, Row, Dto, S>;
}

export function notFound(resource: { name: string }, id: string): EntityNotFoundError {
  return new EntityNotFoundError(`No ${resource.name} with id ${id}.`);
}

/** POST /v2/{res}/index: one page of the read model at this instant (or as recorded at `as_of`), with the exact total. */
export async function listPage<E extends OrgEntity, Row, Dto, F, S extends string>(
  org: OrgContext<E, Row, Dto, F, S>,
  body: IndexRequest<F>,
): Promise<Page<Dto>> {
  const page = body.pageRequest();
  const asOf = body.as_of ?? undefined;
  const { items, total } = await org.rows.list(
    body.filter,
    parseSort(body.sort, org.resource.sorts),
    page,
    body.history ?? false,
    asOf ?? new Date(),
    asOf,
  );
  return { items: items.map((row) => org.resource.toDto(row)), total, page: page.page, perPage: page.perPage };
}

/**
 * GET /v2/{res}/view/{id}: the entity, active or not, tagged with its ETag (read in the same
 * statement as the row); 404 when there is none. Writes answer through it too, inside their
 * transaction, so the tag they answer is the version they wrote. With `asOf`: the entity as recorded
 * then (contract section 10.2; 404 when it did not exist then), tagged with its version then.
 */
export async function viewOne<E extends OrgEntity, Row, Dto extends object, F, S extends string>(
  org: OrgContext<E, Row, Dto, F, S>,
  id: string,
  asOf?: Date,
): Promise<Tagged<Dto>> {
  const found = await org.rows.view(id, asOf ?? new Date(), asOf);
  if (!found) throw notFound(org.resource, id);
  const { entity_version, ...row } = found;
  return withEntityTag(org.resource.toDto(row as Row), entityTag(id, entity_version));
}

/**
 * The entity through the unit of work for a change, locked FOR UPDATE in the current transaction,
 * after the request's If-Match / If-None-Match check under that lock (412); 404 when there is none.
 */
async function lockEntity<E extends OrgEntity, Row, Dto, F, S extends string>(
  org: OrgContext<E, Row, Dto, F, S>,
  id: string,
  preconditions: Preconditions | undefined,
): Promise<E> {
  const entity = await lockForWrite(org.em, org.resource.entity, id, preconditions, org.resource.noun);
  if (!entity) throw notFound(org.resource, id);
  return entity;
}

/** POST /v2/{res}/historicize/{id}: valid_to set to the date (default now), nothing deleted; one transaction from the If-Match check to the answer. */
export async function historicizeOne<E extends OrgEntity, Row, Dto extends object, F, S extends string>(
  org: OrgContext<E, Row, Dto, F, S>,
  id: string,
  date: Date | undefined,
  preconditions?: Preconditions,
): Promise<Tagged<Dto>> {
  return inTransaction(org.em, async () => {
    const entity = await lockEntity(org, id, preconditions);
    applyHistoricize(entity, date);
    await org.em.flush();
    return viewOne(org, id);
  });
}

/** Runs a write (a flush) and turns a violated constraint of the resource into its domain error. */
export async function writeMapped(
  resource: { constraints: OrgResource<OrgEntity, unknown, unknown, string>['constraints'] },
  flush: () => Promise<void>,
  write: WriteAttempt,
): Promise<void> {
  try {
    await flush();
  } catch (error) {
    const constraint = violatedConstraint(error);
    const mapped =
      constraint !== undefined && Object.hasOwn(resource.constraints, constraint) ? resource.constraints[constraint] : undefined;
    if (mapped) throw mapped(write);
    throw error;
  }
}

/** Inserts a new entity through the unit of work (a violated constraint becomes its domain error) and answers it as viewed, tagged. */
export async function insertOne<E extends OrgEntity, Row, Dto extends object, F, S extends string>(
  org: OrgContext<E, Row, Dto, F, S>,
  entity: E,
  write: WriteAttempt,
): Promise<Tagged<Dto>> {
  await writeMapped(org.resource, () => org.em.persist(entity).flush(), write);
  return viewOne(org, write.id);
}

/** A partial update as the resource's rules decide it: the new values, and what the write is about. */
export interface Change<E> {
  next: Partial<E>;
  write: WriteAttempt;
}

/**
 * PUT /v2/{res}/update/{id}, in one transaction: locks the entity and checks the request's
 * preconditions under the lock (412), lets the resource's own rules decide the change from the locked
 * entity (`decide`: its checks throw their 4xx), applies it, flushes (a violated constraint becomes its
 * domain error) and answers the entity as viewed, tagged with the version just written.
 */
export async function updateOne<E extends OrgEntity, Row, Dto extends object, F, S extends string>(
  org: OrgContext<E, Row, Dto, F, S>,
  id: string,
  preconditions: Preconditions | undefined,
  decide: (entity: E) => Promise<Change<E>>,
): Promise<Tagged<Dto>> {
  return inTransaction(org.em, async () => {
    const entity = await lockEntity(org, id, preconditions);
    const { next, write } = await decide(entity);
    // `next` holds scalar properties of E only; MikroORM's assign typing cannot see that through the generic.
    org.em.assign(entity, { ...next, updatedAt: new Date() } as never);
    await writeMapped(org.resource, () => org.em.flush(), write);
    return viewOne(org, id);
  });
}

/**
 * DELETE /v2/{res}/delete/{id} (contract section 5): historicize=true historicizes instead; else
 * the resource's deletion plan runs under the shared delete rules (refused while related entities
 * exist, force deletes them too, all or nothing). Either way the request's If-Match / If-None-Match is
 * checked under the entity's row lock, before anything changes (412).
 */
export async function deleteOrHistoricize<E extends OrgEntity, Row, Dto extends object, F, S extends string>(
  org: OrgContext<E, Row, Dto, F, S>,
  id: string,
  query: OrgDeleteQueryDto,
  preconditions: Preconditions | undefined,
  plan: Omit<DeletionPlan, 'notFound' | 'check'>,
): Promise<void> {
  if (query.historicize) {
    await historicizeOne(org, id, undefined, preconditions);
    return;
  }
  await deleteWithRules(
    org.em,
    {
      ...plan,
      // The plan's lock has just locked the entity; this reads its current version under that lock.
      check: async () => void (await lockEntity(org, id, preconditions)),
      notFound: () => notFound(org.resource, id),
    },
    query.force ?? false,
  );
}
