import { LockMode, type EntityName } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { assertPreconditions, entityTag, type Preconditions } from '../common/concurrency/entity-tag.js';

/** What every entity of the directory has for its ETag. */
export interface Versioned {
  id: string;
  version: string;
}

/**
 * Loads the entity for a write, locked FOR UPDATE and fresh from the database (call it inside the
 * write's transaction), and checks the request's If-Match / If-None-Match against its current ETag
 * under that lock (412 otherwise): no other write can change the entity between the check and this
 * write. Null when it does not exist (a 404 wins over a precondition, RFC 9110 section 13.2.1).
 */
export async function lockForWrite<E extends Versioned>(
  em: EntityManager,
  entity: EntityName<E>,
  id: string,
  preconditions: Preconditions | undefined,
  noun: string,
): Promise<E | null> {
  const found = (await em.findOne(entity, { id } as never, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true })) as E | null;
  if (found) assertPreconditions(preconditions, entityTag(found.id, found.version), noun);
  return found;
}

/** The ETag of an entity just written in the current transaction: its version is re-read (the trigger moved it). */
export async function tagAfterWrite<E extends Versioned>(em: EntityManager, entity: E): Promise<string> {
  await em.refresh(entity);
  return entityTag(entity.id, entity.version);
}
