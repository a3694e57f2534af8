import type { MikroORM } from '@mikro-orm/postgresql';
import type { AppConfig } from '../config/app-config.js';

/** host:port/database without credentials, for messages. */
export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return '(unparsable URL)';
  }
}

/**
 * A database the process cannot use: unreachable, refusing the login, a migration failing, or
 * migrations pending with DB_MIGRATE_ON_START=false. One line naming the database (never its
 * credentials) and the first line of the cause, as the entry points print it.
 */
export class DatabaseNotReadyError extends Error {
  constructor(url: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`cannot use the database at ${describeDatabaseUrl(url)}: ${reason.split('\n')[0]}`, { cause });
    this.name = 'DatabaseNotReadyError';
  }
}

/**
 * MikroORM 7 connects lazily: check the connection now so a bad database stops the start with one
 * line, then apply pending migrations (unless DB_MIGRATE_ON_START=false). Every entry point runs it
 * before any module is initialised, so no worker ever starts on a schema that is not migrated
 * (createApp in app.setup.ts; the CLIs in scripts/cli-support.ts; docs/decisions.md, "Boot order").
 */
export async function prepareDatabase(orm: Pick<MikroORM, 'connect' | 'checkConnection' | 'migrator'>, config: AppConfig): Promise<void> {
  await connectDatabase(orm);
  if (config.database.migrateOnStart) {
    await orm.migrator.up();
  } else if ((await orm.migrator.getPending()).length > 0) {
    throw new Error('migrations are pending and DB_MIGRATE_ON_START=false: run npm run migration:up first');
  }
}

/** Connects and checks the connection, nothing else (the migration CLI applies migrations itself). */
export async function connectDatabase(orm: Pick<MikroORM, 'connect' | 'checkConnection'>): Promise<void> {
  await orm.connect();
  const check = await orm.checkConnection();
  if (!check.ok) throw new Error(check.reason ?? 'connection failed');
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[?::1\]?)$/i;

/**
 * The warning logged at start when a DATABASE_URL reaches PostgreSQL over the network without
 * `sslmode`: node-postgres then connects in clear text, passwords and personal data included.
 * Loopback addresses, Unix sockets and any explicit `sslmode` (even `disable`) are left alone.
 */
export function plaintextDatabaseWarning(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const host = parsed.searchParams.get('host') ?? parsed.hostname;
  if (host === '' || host.startsWith('/') || LOOPBACK.test(host) || parsed.searchParams.has('sslmode')) return undefined;
  return `DATABASE_URL reaches ${host} without sslmode: the connection is not encrypted. Add ?sslmode=verify-full (or require), or sslmode=disable to silence this on a trusted network`;
}
