import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { formatDuration, parseDuration } from './duration.js';

/** The whole runtime configuration, validated once at boot (see {@link loadConfig}). */
export interface AppConfig {
  readonly http: {
    readonly host: string;
    readonly port: number;
    readonly bodyLimitBytes: number;
    readonly trustProxy: boolean;
    /**
     * Origins allowed by CORS: '*' (default) allows any origin *without* credentials, which is safe
     * because authentication is a bearer header browsers never attach on their own; or an explicit list.
     */
    readonly corsOrigins: '*' | readonly string[];
    /** How long SIGTERM waits for in-flight requests before the process gives up. */
    readonly shutdownGraceMs: number;
    /** A request (headers and body) must arrive completely within this time, else 408 and the connection closes. */
    readonly requestTimeoutMs: number;
    /** The headers must arrive within this time: min(10 s, requestTimeoutMs). */
    readonly headersTimeoutMs: number;
    /** How often Node looks for requests past those timeouts (Node's default is 30 s). */
    readonly timeoutCheckIntervalMs: number;
    /** An idle keep-alive connection closes after this time. */
    readonly keepAliveTimeoutMs: number;
  };
  readonly database: {
    /** Unset means: run the embedded PostgreSQL under {@link AppConfig.database.embedded}. */
    readonly url: string | undefined;
    readonly migrateOnStart: boolean;
    readonly embedded: { readonly dataDir: string; readonly port: number; readonly runtimeDir: string };
    readonly poolMax: number;
    /** Connections of the job queue's own pool (pg-boss: webhook deliveries, sync jobs), besides poolMax. */
    readonly jobsPoolMax: number;
    /** Time to open a connection or to wait for a free one in the pool. */
    readonly acquireTimeoutMs: number;
    readonly statementTimeoutMs: number;
    readonly lockTimeoutMs: number;
    readonly idleInTransactionTimeoutMs: number;
    /** Seconds a client is told to wait (Retry-After) while the database is unavailable. */
    readonly retryAfterSeconds: number;
  };
  readonly auth: {
    /** Also accept `Authorization: <token>` and the `access-token` query parameter. Off by default. */
    readonly compat: boolean;
    /** lastUsedAt is written at most once per this interval per token. */
    readonly lastUsedWriteIntervalMs: number;
    /**
     * Authentication's cache of token rows (src/tokens/token-cache.ts): at most `maxEntries` (0: off),
     * each at most `ttlMs` old; revocations reach it at once on this instance, within 1 s on others.
     */
    readonly tokenCache: { readonly maxEntries: number; readonly ttlMs: number };
  };
  /** Token lifetimes (contract sections 7 and 9): every token expires. */
  readonly tokenLifetime: {
    /** Lifetime of a token created without an expiry. */
    readonly defaultMs: number;
    /** The longest lifetime a token may be given (API `expiresAt`/`expiresIn`, CLI `--expires`). */
    readonly maxMs: number;
  };
  /** The first-start Opsera Administrator token. */
  readonly bootstrapToken: {
    readonly ttlMs: number;
    /**
     * Where it is written (owner-only) when standard output is not a terminal: BOOTSTRAP_TOKEN_FILE,
     * else next to the embedded data directory (.data/bootstrap-token), else, with DATABASE_URL,
     * in the home directory of the user running the server (~/.organigram/bootstrap-token).
     */
    readonly file: string;
  };
  readonly rateLimit: {
    readonly enabled: boolean;
    /** Requests allowed per token per window (public routes are not limited). */
    readonly limit: number;
    readonly windowMs: number;
    /** Requests without a valid token allowed per client address per window (before any database work). */
    readonly unauthLimit: number;
  };
  readonly log: {
    readonly level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
    /** One access line per answered request (LOG_REQUESTS). */
    readonly requests: boolean;
    /** The access line's URL keeps its (redacted) query string (LOG_REQUEST_QUERY); by default the path only. */
    readonly requestQuery: boolean;
  };
  /** Bulk sync (contract section 12). */
  readonly sync: {
    /** The largest sync body (JSON or CSV); the app's BODY_LIMIT_BYTES does not apply to sync uploads. */
    readonly bodyLimitBytes: number;
    /** Finished jobs (with their errors and changes) older than this are deleted in the background. */
    readonly jobRetentionDays: number;
  };
  readonly load: {
    /** Expensive reads (lists, indexes) one token may have in flight; the next is a 429 at once. */
    readonly tokenConcurrency: number;
  };
  /** The change log and its feed (contract section 10.1). */
  readonly changes: {
    /** Events older than this are trimmed in the background; a cursor older than that is a 410. */
    readonly retentionDays: number;
    /** Long-polling requests (`wait` > 0) one instance keeps waiting at once; the next is a 429. */
    readonly maxWaiters: number;
  };
  /** Webhook deliveries (contract section 10.3). */
  readonly webhooks: {
    /** First retry after this long, doubling each time (pg-boss counts in whole seconds: rounded up). */
    readonly retryBaseMs: number;
    /** A receiver must answer within this time, else the attempt failed. */
    readonly timeoutMs: number;
    /** Accept loopback, private and link-local targets (tests, on-premises receivers). */
    readonly allowPrivateTargets: boolean;
    /** Attempts of one delivery before it is given up (recorded in the deliveries log). */
    readonly maxAttempts: number;
  };
}

/** A configuration problem, reported as one line at start. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

function int(env: Env, key: string, fallback: number, min: number, max: number): number {
  const raw = env[key];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${key} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${key} must be between ${min} and ${max}, got ${value}`);
  return value;
}

function bool(env: Env, key: string, fallback: boolean): boolean {
  const raw = env[key]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['true', '1', 'yes', 'on'].includes(raw)) return true;
  if (['false', '0', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${key} must be true or false, got "${env[key]}"`);
}

function oneOf<T extends string>(env: Env, key: string, fallback: T, allowed: readonly T[]): T {
  const raw = env[key]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${key} must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

function duration(env: Env, key: string, fallback: string): number {
  const raw = env[key]?.trim() || fallback;
  const ms = parseDuration(raw);
  if (ms === undefined) throw new ConfigError(`${key} must be a duration such as 90d, 12h or 2w (at most 10 years), got "${env[key]}"`);
  return ms;
}

function tokenLifetime(env: Env): AppConfig['tokenLifetime'] {
  const defaultMs = duration(env, 'TOKEN_DEFAULT_TTL', '90d');
  const maxMs = duration(env, 'TOKEN_MAX_TTL', '365d');
  if (defaultMs > maxMs) {
    throw new ConfigError(`TOKEN_DEFAULT_TTL (${formatDuration(defaultMs)}) must not exceed TOKEN_MAX_TTL (${formatDuration(maxMs)})`);
  }
  return { defaultMs, maxMs };
}

function bootstrapTokenFile(env: Env, embeddedDataDir: string): string {
  const given = env.BOOTSTRAP_TOKEN_FILE?.trim();
  if (given) return resolve(given);
  // Embedded: next to its data directory. External database: the checkout (or the image's working
  // directory) may not be writable or may not be this machine's, the service user's home is.
  if (!env.DATABASE_URL?.trim()) return join(dirname(embeddedDataDir), 'bootstrap-token');
  return join(env.HOME?.trim() || homedir(), '.organigram', 'bootstrap-token');
}

function databaseUrl(env: Env): string | undefined {
  const raw = env.DATABASE_URL?.trim();
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('DATABASE_URL is not a valid URL (expected postgres://user:password@host:5432/database)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(`DATABASE_URL must start with postgres:// or postgresql://, got ${url.protocol}//`);
  }
  if (url.hostname === '') throw new ConfigError('DATABASE_URL has no host');
  if (url.pathname.replace(/^\//, '') === '') throw new ConfigError('DATABASE_URL has no database name');
  return raw;
}

function origins(env: Env): '*' | string[] {
  const raw = env.CORS_ORIGINS?.trim();
  if (!raw || raw === '*') return '*';
  const list = raw
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const origin of list) {
    if (origin === '*') throw new ConfigError('CORS_ORIGINS is either "*" alone or a list of origins');
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch {
      throw new ConfigError(`CORS_ORIGINS entry "${origin}" is not a URL origin such as https://app.example.com`);
    }
    if (parsed.origin !== origin) {
      throw new ConfigError(`CORS_ORIGINS entry "${origin}" must be a bare origin such as ${parsed.origin}`);
    }
  }
  return list;
}

/**
 * Request and keep-alive timeouts. Node only looks for requests past their timeout every
 * connectionsCheckingInterval; a quarter of the headers timeout (at most 1 s) answers a slow
 * request within about a second of its deadline.
 */
function timeouts(env: Env) {
  const requestTimeoutMs = int(env, 'REQUEST_TIMEOUT_MS', 30_000, 100, 600_000);
  const headersTimeoutMs = Math.min(10_000, requestTimeoutMs);
  return {
    requestTimeoutMs,
    headersTimeoutMs,
    timeoutCheckIntervalMs: Math.min(1_000, Math.max(25, Math.floor(headersTimeoutMs / 4))),
    keepAliveTimeoutMs: int(env, 'KEEP_ALIVE_TIMEOUT_MS', 72_000, 100, 600_000),
  };
}

/**
 * Reads and validates the environment once. Nothing else in the application reads process.env:
 * everything receives this typed object through dependency injection.
 */
export function loadConfig(env: Env = process.env): AppConfig {
  const embeddedDataDir = resolve(env.EMBEDDED_DB_DIR?.trim() || '.data/postgres');
  const lifetime = tokenLifetime(env);
  const bootstrapTtlMs = duration(env, 'BOOTSTRAP_TOKEN_TTL', '24h');
  if (bootstrapTtlMs > lifetime.maxMs) {
    throw new ConfigError(
      `BOOTSTRAP_TOKEN_TTL (${formatDuration(bootstrapTtlMs)}) must not exceed TOKEN_MAX_TTL (${formatDuration(lifetime.maxMs)})`,
    );
  }
  return {
    http: {
      host: env.HOST?.trim() || '0.0.0.0',
      port: int(env, 'PORT', 3000, 0, 65535),
      bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
      trustProxy: bool(env, 'TRUST_PROXY', false),
      corsOrigins: origins(env),
      shutdownGraceMs: int(env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
      ...timeouts(env),
    },
    database: {
      url: databaseUrl(env),
      migrateOnStart: bool(env, 'DB_MIGRATE_ON_START', true),
      embedded: {
        dataDir: embeddedDataDir,
        port: int(env, 'EMBEDDED_DB_PORT', 54329, 1, 65535),
        // Started by root, PostgreSQL runs as the `postgres` OS user: programs and data it cannot reach
        // in the checkout are placed here (see docs/decisions.md, "Embedded PostgreSQL as root").
        runtimeDir: resolve(env.EMBEDDED_PG_RUNTIME_DIR?.trim() || '/var/lib/organigram'),
      },
      poolMax: int(env, 'DB_POOL_MAX', 10, 1, 1000),
      jobsPoolMax: int(env, 'DB_JOBS_POOL_MAX', 3, 1, 100),
      acquireTimeoutMs: int(env, 'DB_ACQUIRE_TIMEOUT_MS', 3_000, 100, 600_000),
      statementTimeoutMs: int(env, 'DB_STATEMENT_TIMEOUT_MS', 15_000, 100, 3_600_000),
      lockTimeoutMs: int(env, 'DB_LOCK_TIMEOUT_MS', 5_000, 100, 3_600_000),
      idleInTransactionTimeoutMs: int(env, 'DB_IDLE_IN_TRANSACTION_TIMEOUT_MS', 30_000, 100, 3_600_000),
      retryAfterSeconds: int(env, 'DB_RETRY_AFTER_SECONDS', 5, 1, 3600),
    },
    auth: {
      compat: bool(env, 'AUTH_COMPAT', false),
      lastUsedWriteIntervalMs: int(env, 'TOKEN_LAST_USED_INTERVAL_MS', 60_000, 1_000, 86_400_000),
      tokenCache: {
        maxEntries: int(env, 'TOKEN_CACHE_SIZE', 10_000, 0, 1_000_000),
        ttlMs: int(env, 'TOKEN_CACHE_TTL_MS', 60_000, 0, 3_600_000),
      },
    },
    tokenLifetime: lifetime,
    bootstrapToken: {
      ttlMs: bootstrapTtlMs,
      file: bootstrapTokenFile(env, embeddedDataDir),
    },
    rateLimit: {
      enabled: bool(env, 'RATE_LIMIT_ENABLED', true),
      limit: int(env, 'RATE_LIMIT', 6_000, 1, 10_000_000),
      windowMs: int(env, 'RATE_LIMIT_WINDOW_MS', 60_000, 1_000, 86_400_000),
      unauthLimit: int(env, 'UNAUTH_RATE_LIMIT', 600, 1, 10_000_000),
    },
    log: {
      level: oneOf(env, 'LOG_LEVEL', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
      requests: bool(env, 'LOG_REQUESTS', true),
      requestQuery: bool(env, 'LOG_REQUEST_QUERY', false),
    },
    sync: {
      bodyLimitBytes: int(env, 'SYNC_BODY_LIMIT_BYTES', 50 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
      jobRetentionDays: int(env, 'SYNC_JOB_RETENTION_DAYS', 30, 1, 36_500),
    },
    load: { tokenConcurrency: int(env, 'TOKEN_CONCURRENCY', 8, 1, 10_000) },
    changes: {
      retentionDays: int(env, 'CHANGES_RETENTION_DAYS', 400, 1, 36_500),
      maxWaiters: int(env, 'CHANGES_MAX_WAITERS', 100, 1, 10_000),
    },
    webhooks: {
      retryBaseMs: int(env, 'WEBHOOK_RETRY_BASE_MS', 5_000, 1_000, 3_600_000),
      timeoutMs: int(env, 'WEBHOOK_TIMEOUT_MS', 5_000, 100, 120_000),
      allowPrivateTargets: bool(env, 'WEBHOOK_ALLOW_PRIVATE_TARGETS', false),
      maxAttempts: int(env, 'WEBHOOK_MAX_ATTEMPTS', 20, 1, 100),
    },
  };
}

/** The injection token under which the validated {@link AppConfig} is provided. */
export const APP_CONFIG = Symbol('APP_CONFIG');
