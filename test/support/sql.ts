import type { EntityManager } from '@mikro-orm/postgresql';
import { CompiledQuery } from 'kysely';

/** `?` placeholders to PostgreSQL's `$n`, leaving quoted literals alone (test harness only). */
function toPositional(query: string): string {
  let n = 0;
  return query.replace(/'(?:[^']|'')*'|\?/g, (match) => (match === '?' ? `$${++n}` : match));
}

/**
 * The tests' own SQL, written with `?` placeholders and real bind parameters, on the transaction
 * of `tx` when it is inside one. The application writes its SQL with Kysely's `sql` tag instead
 * (src/database/sql.ts).
 */
export async function sql<T = Record<string, unknown>>(tx: EntityManager, query: string, params: readonly unknown[] = []): Promise<T[]> {
  const result = await tx.getKysely().executeQuery<T>(CompiledQuery.raw(toPositional(query), [...params]));
  return result.rows;
}
