import type { EntityManager } from '@mikro-orm/postgresql';
import type { RawBuilder } from 'kysely';

/**
 * Runs a statement written with Kysely's `sql` tag (values travel as bind parameters, never as SQL
 * text) on MikroORM's Kysely client: on the current transaction when `em` is inside one (the
 * injected EntityManager follows `em.transactional`), else on the pool. The one way repositories
 * run SQL that is not a unit-of-work flush.
 */
export async function rows<T>(em: EntityManager, statement: RawBuilder<T>): Promise<T[]> {
  return (await statement.execute(em.getKysely())).rows;
}
