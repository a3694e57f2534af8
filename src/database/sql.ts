import type { EntityManager } from '@mikro-orm/postgresql';
import { CompiledQuery, type Kysely, type RawBuilder } from 'kysely';
import { currentEntityManager } from './request-context.js';
import type { Pool } from 'pg';
import { createHash } from 'node:crypto';

/**
 * Runs a statement written with Kysely's `sql` tag (values travel as bind parameters, never as SQL
 * text) on MikroORM's Kysely client: on the current transaction when `em` is inside one (the
 * injected EntityManager follows `em.transactional`), else on the pool. The one way repositories
 * run SQL that is not a unit-of-work flush. With `asOf`, the statement reads the tables as recorded at
 * that instant ({@link recordedAt}).
 */
export async function rows<T>(em: EntityManager, statement: RawBuilder<T>, asOf?: Date): Promise<T[]> {
  const kysely = kyselyOf(em);
  if (asOf === undefined) return (await statement.execute(kysely)).rows;
  const { sql: text, parameters } = recordedAt(statement.compile(kysely), asOf);
  return (await kysely.executeQuery<T>(CompiledQuery.raw(text, [...parameters]))).rows;
}

/**
 * `em.getKysely()` (bound to the current transaction, else the pool's), without making the request's
 * EntityManager fork when there is no transaction (issue 10: see request-context.ts).
 */
function kyselyOf(em: EntityManager): Kysely<unknown> {
  const current = currentEntityManager(em);
  return current ? current.getKysely() : em.getConnection().getClient<unknown>();
}

/**
 * The tables whose past is kept (migrations Migration20261201090000_as_of and
 * Migration20261201113000_reporting_line_history): each has `<table>_as_of(t)`.
 */
const RECORDED_TABLE = /(\bfrom\s+|\bjoin\s+|,\s*)(person|org_unit|org_role|org_person|reporting_line)\b(?![_.(])/gi;

/**
 * The statement as of `asOf` (contract section 10.2): every table it reads rows of (`from t`, `join t`,
 * `, t`) becomes `t_as_of($n)`, the table's rows as recorded at that instant (an inlinable SQL function
 * over the live table and its history, docs/decisions.md "Point-in-time reads"), with the instant as one
 * more bind parameter. One read statement serves both: a filter or join added to a read is in its
 * as_of form too, and the statement text of reads of now stays exactly what it was. Only for read
 * statements built by the repositories (no writes, no string literals naming the tables). A table
 * named `only <table>` is left as it is: a part of the statement that computes from the live rows
 * themselves (the count of a people list as of t is the count of now corrected by the history).
 */
export function recordedAt(
  compiled: { sql: string; parameters: readonly unknown[] },
  asOf: Date,
): { sql: string; parameters: readonly unknown[] } {
  const instant = `$${compiled.parameters.length + 1}::timestamptz`;
  let replaced = 0;
  const text = compiled.sql.replace(RECORDED_TABLE, (_match, before: string, table: string) => {
    replaced += 1;
    return `${before}${table.toLowerCase()}_as_of(${instant})`;
  });
  if (replaced === 0) throw new Error('An as_of read must read at least one recorded table.');
  return { sql: text, parameters: [...compiled.parameters, asOf] };
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
 * shapes (the names are bounded per process, {@link MAX_NAMED}; beyond, they run unnamed). With `asOf`,
 * the statement reads the tables as recorded at that instant ({@link recordedAt}).
 */
export async function preparedRows<T>(em: EntityManager, statement: RawBuilder<T>, asOf?: Date): Promise<T[]> {
  const connection = em.getConnection();
  // Inside a transaction, or once the ORM is closed (at shutdown: getNativeClient would open a new
  // pool; Kysely's destroyed driver answers instead, which the error mapping turns into a 503).
  const current = currentEntityManager(em);
  if (current?.isInTransaction() || !(connection as unknown as { connected: boolean }).connected) return rows(em, statement, asOf);
  const kysely = kyselyOf(em);
  const compiled = asOf === undefined ? statement.compile(kysely) : recordedAt(statement.compile(kysely), asOf);
  const pool: Pool = await connection.getNativeClient();
  const result = await pool.query({ name: nameOf(compiled.sql), text: compiled.sql, values: compiled.parameters as unknown[] });
  return result.rows as T[];
}
