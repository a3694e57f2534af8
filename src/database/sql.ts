import type { EntityManager } from '@mikro-orm/postgresql';
import type { RawBuilder } from 'kysely';
import type { Pool } from 'pg';
import { createHash } from 'node:crypto';

/**
 * Runs a statement written with Kysely's `sql` tag (values travel as bind parameters, never as SQL
 * text) on MikroORM's Kysely client: on the current transaction when `em` is inside one (the
 * injected EntityManager follows `em.transactional`), else on the pool. The one way repositories
 * run SQL that is not a unit-of-work flush.
 */
export async function rows<T>(em: EntityManager, statement: RawBuilder<T>): Promise<T[]> {
  return (await statement.execute(em.getKysely())).rows;
}

/** Statement name of a SQL text: the same text always gets the same name (node-postgres requires it). */
const names = new Map<string, string>();
/** Distinct texts named in this process: beyond, statements run unnamed (each connection keeps what it prepared). */
const MAX_NAMED = 500;

function nameOf(text: string): string | undefined {
  let name = names.get(text);
  if (name === undefined && names.size < MAX_NAMED) {
    name = `ogm_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    names.set(text, name);
  }
  return name;
}

/**
 * Like {@link rows}, for the hot reads outside transactions: the statement runs as a named (prepared)
 * statement on the pool, so each pooled connection parses it once and PostgreSQL may keep a generic
 * plan (planning was 4 ms of a 2.5 ms org-person index, issue 10), and node-postgres does not parse
 * its row description again. Values still travel as bind parameters. Inside a transaction it runs
 * through {@link rows} (on the transaction's connection). Only for statements whose text takes few
 * shapes (the names are bounded per process, {@link MAX_NAMED}; beyond, they run unnamed).
 */
export async function preparedRows<T>(em: EntityManager, statement: RawBuilder<T>): Promise<T[]> {
  const connection = em.getConnection();
  // Inside a transaction, or once the ORM is closed (at shutdown: getNativeClient would open a new
  // pool; Kysely's destroyed driver answers instead, which the error mapping turns into a 503).
  if (em.isInTransaction() || !(connection as unknown as { connected: boolean }).connected) return rows(em, statement);
  const compiled = statement.compile(em.getKysely());
  const pool: Pool = await connection.getNativeClient();
  const result = await pool.query({ name: nameOf(compiled.sql), text: compiled.sql, values: compiled.parameters as unknown[] });
  return result.rows as T[];
}
