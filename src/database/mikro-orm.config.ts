import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { defineConfig, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import type { AppConfig } from '../config/app-config.js';
import { guardPool } from './pool-guard.js';
import { WriteContextSubscriber } from './write-context-subscriber.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The project root, both from src/database (ts sources) and dist/src/database (build output). */
const root = here.includes(`${join('dist', 'src')}`) ? join(here, '..', '..', '..') : join(here, '..', '..');
/** True when this file runs as TypeScript source (tests, ts tooling), false from dist/. */
const runningTs = import.meta.url.endsWith('.ts');

/**
 * MikroORM options derived from the validated config. The pool and the session timeouts are what
 * keeps a slow or unreachable database from hanging requests: see docs/reliability.md.
 */
/**
 * TLS from the libpq `sslmode` of the URL (MikroORM reads only host, port, user, password and database
 * from it): require = encrypted; verify-ca / verify-full = encrypted and the certificate checked
 * against the system CAs (add yours with NODE_EXTRA_CA_CERTS); anything else = plain.
 */
export function sslFromUrl(url: string): false | { rejectUnauthorized: boolean } {
  const mode = new URL(url).searchParams.get('sslmode');
  if (mode === 'require') return { rejectUnauthorized: false };
  if (mode === 'verify-ca' || mode === 'verify-full') return { rejectUnauthorized: true };
  return false;
}

export function ormConfig(config: AppConfig, url: string): Options {
  const db = config.database;
  return defineConfig({
    clientUrl: url,
    // The entities come from above this layer: each feature module registers its own
    // (MikroOrmModule.forFeature, collected by autoLoadEntities) and the CLIs pass src/entities.ts.
    entities: [],
    discovery: { warnWhenNoEntities: false },
    extensions: [Migrator],
    // Who writes, for the change-log triggers: transaction-local settings at each transaction start.
    subscribers: [new WriteContextSubscriber()],
    preferTs: runningTs,
    // Every query runs in an explicit request context (MikroOrmModule registers it per request);
    // the global manager is only used by boot-time code that forks it first.
    allowGlobalContext: false,
    debug: false,
    colors: false,
    ensureDatabase: false,
    pool: { min: 0, max: db.poolMax, idleTimeoutMillis: 30_000 },
    driverOptions: {
      // pg-pool uses this for opening a connection and for waiting on a busy pool alike.
      connectionTimeoutMillis: db.acquireTimeoutMs,
      statement_timeout: db.statementTimeoutMs,
      lock_timeout: db.lockTimeoutMs,
      idle_in_transaction_session_timeout: db.idleInTransactionTimeoutMs,
      application_name: 'organigram',
      // No JIT compilation for this service's statements: they are short, bounded reads and writes
      // whose cost estimates (recursive CTEs over the org tree are estimated at hundreds of thousands
      // of rows) crossed jit_above_cost, and PostgreSQL then compiled about 84 functions on every
      // request: 45-110 ms of a 3-19 ms statement (docs/performance.md). Sent in the startup packet,
      // so it holds for every connection of the pool, whatever the server's default.
      options: '-c jit=off',
      ssl: sslFromUrl(url),
      keepAlive: true,
      onPoolCreated: guardPool,
    },
    migrations: {
      tableName: 'mikro_orm_migrations',
      path: join(root, 'dist', 'migrations'),
      pathTs: join(root, 'migrations'),
      glob: '!(*.d).{js,ts}',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      emit: 'ts',
    },
  });
}
