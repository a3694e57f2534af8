import { join } from 'node:path';
import { MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import { ConfigError, loadConfig, type AppConfig } from '../../src/config/app-config.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/database/embedded-postgres.js';
import { ormConfig } from '../../src/database/mikro-orm.config.js';
import { describeDatabaseUrl } from '../../src/database/prepare.js';
import type { Sql } from './types.js';

/** The only database the benchmark writes to, on whichever server it uses. */
export const BENCH_DATABASE = 'organigram_bench';
/** The embedded server of the benchmark: its own data directory and port, never the developer's. */
export const BENCH_EMBEDDED = { dataDir: join('.data', 'bench-postgres'), port: 54339 } as const;

export interface BenchDatabase {
  /** Connection URL of the `organigram_bench` database. */
  readonly url: string;
  /** Where the server came from: the variable that named it, or the embedded one. */
  readonly source: 'BENCH_DATABASE_URL' | 'DATABASE_URL' | 'embedded';
  /** host:port/database, without credentials. */
  readonly description: string;
  /** Stops the embedded server (when this run started it); nothing for an external server. */
  close(): Promise<void>;
}

type Env = Readonly<Record<string, string | undefined>>;

/** BENCH_DATABASE_NAME (default organigram_bench): lets two benchmarks share a server without sharing data. */
export function benchDatabaseName(env: Env): string {
  const name = env.BENCH_DATABASE_NAME?.trim() || BENCH_DATABASE;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`BENCH_DATABASE_NAME must be a plain lower-case identifier, got "${name}"`);
  return name;
}

/**
 * BENCH_DATABASE_URL, else DATABASE_URL, names a server: the benchmark uses the database
 * `organigram_bench` on it (created when missing), whatever database the URL names. Without either,
 * it starts an embedded PostgreSQL of its own under `.data/bench-postgres` (relative to `root`).
 */
export async function openBenchDatabase(env: Env, root: string): Promise<BenchDatabase> {
  const name = benchDatabaseName(env);
  const variable = env.BENCH_DATABASE_URL?.trim() ? 'BENCH_DATABASE_URL' : env.DATABASE_URL?.trim() ? 'DATABASE_URL' : undefined;
  if (variable) {
    const given = env[variable]!.trim();
    try {
      loadConfig({ DATABASE_URL: given }); // the same URL checks as the application
    } catch (error) {
      throw new Error(error instanceof ConfigError ? `${variable}: ${error.message.replace(/^DATABASE_URL /, '')}` : String(error));
    }
    const url = new URL(given);
    url.pathname = `/${name}`;
    // Connect to the database the URL names to create ours; `postgres` when it names ours already.
    const maintenance = new URL(given);
    if (maintenance.pathname === `/${name}`) maintenance.pathname = '/postgres';
    await ensureDatabase(maintenance.toString(), name);
    const benchUrl = url.toString();
    return { url: benchUrl, source: variable, description: describeDatabaseUrl(benchUrl), close: () => Promise.resolve() };
  }
  const dataDir = join(root, BENCH_EMBEDDED.dataDir);
  let embedded: EmbeddedDatabase;
  try {
    // Creates `organigram_bench` on it when missing.
    embedded = await startEmbeddedPostgres({ dataDir, port: BENCH_EMBEDDED.port, database: name });
  } catch (error) {
    // Its own hint names EMBEDDED_DB_PORT, which is the application's server, not this one.
    const reason = (error as Error).message.replace(/ \(is the port taken\?.*\)$/, '');
    throw new Error(
      `${reason} (data directory ${BENCH_EMBEDDED.dataDir}, port ${BENCH_EMBEDDED.port}: is the port taken? ` +
        'Set BENCH_DATABASE_URL to use another PostgreSQL server)',
    );
  }
  return { url: embedded.url, source: 'embedded', description: describeDatabaseUrl(embedded.url), close: () => embedded.stop() };
}

/** A MikroORM instance on `url` for the harness itself (not the application's), with the global context allowed. */
export function harnessOrm(config: AppConfig, url: string): MikroORM {
  return new MikroORM({ ...ormConfig(config, url), allowGlobalContext: true, logger: () => undefined });
}

async function ensureDatabase(serverUrl: string, name: string): Promise<void> {
  const orm = harnessOrm(loadConfig({ DATABASE_URL: serverUrl, LOG_LEVEL: 'silent' }), serverUrl);
  try {
    const sql = sqlOn(orm.em);
    const rows = await sql('select 1 from pg_database where datname = ?', [name]);
    if (rows.length > 0) return;
    try {
      await sql(`create database "${name}"`);
    } catch (error) {
      // 42P04 duplicate_database: another run created it in between.
      if ((error as { code?: string }).code !== '42P04') throw error;
    }
  } catch (error) {
    throw new Error(
      `cannot create or find the database ${name} through ${describeDatabaseUrl(serverUrl)}: ${(error as Error).message.split('\n')[0]}`,
    );
  } finally {
    await orm.close(true);
  }
}

/** SQL on `em`, inside its transaction when it is in one. */
export function sqlOn(em: EntityManager): Sql {
  return async <Row extends object>(query: string, params: readonly unknown[] = []) =>
    (await em.getConnection().execute(query, params, 'all', em.getTransactionContext())) as unknown as Row[];
}

/** Runs `work` in one transaction on a fork of `orm`'s manager, with the statement timeout lifted (seeding is long). */
export async function inSeedTransaction<T>(orm: MikroORM, work: (sql: Sql) => Promise<T>): Promise<T> {
  return orm.em.fork().transactional(async (em) => {
    const sql = sqlOn(em);
    await sql('set local statement_timeout = 0');
    return work(sql);
  });
}
