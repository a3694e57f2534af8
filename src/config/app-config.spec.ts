import { resolve } from 'node:path';
import { ConfigError, loadConfig } from './app-config.js';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`expected loadConfig(${JSON.stringify(env)}) to throw`);
}

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    expect(loadConfig({})).toEqual({
      http: {
        host: '0.0.0.0',
        port: 3000,
        bodyLimitBytes: 1024 * 1024,
        trustProxy: false,
        corsOrigins: '*',
        shutdownGraceMs: 10_000,
        requestTimeoutMs: 30_000,
        headersTimeoutMs: 10_000,
        timeoutCheckIntervalMs: 1_000,
        keepAliveTimeoutMs: 72_000,
      },
      database: {
        url: undefined,
        migrateOnStart: true,
        embedded: { dataDir: resolve('.data/postgres'), port: 54329, runtimeDir: '/var/lib/organigram' },
        poolMax: 10,
        jobsPoolMax: 3,
        acquireTimeoutMs: 3_000,
        statementTimeoutMs: 15_000,
        lockTimeoutMs: 5_000,
        idleInTransactionTimeoutMs: 30_000,
        retryAfterSeconds: 5,
      },
      auth: { compat: false, lastUsedWriteIntervalMs: 60_000, tokenCache: { maxEntries: 10_000, ttlMs: 60_000 } },
      tokenLifetime: { defaultMs: 90 * 86_400_000, maxMs: 365 * 86_400_000 },
      bootstrapToken: { ttlMs: 86_400_000, file: resolve('.data/bootstrap-token') },
      rateLimit: { enabled: true, limit: 6_000, windowMs: 60_000, unauthLimit: 600 },
      log: { level: 'info', requests: true, requestQuery: false },
      sync: { bodyLimitBytes: 50 * 1024 * 1024, jobRetentionDays: 30 },
      load: { tokenConcurrency: 8 },
      changes: { retentionDays: 400, maxWaiters: 100 },
      webhooks: { retryBaseMs: 5_000, timeoutMs: 5_000, allowPrivateTargets: false, maxAttempts: 20 },
    });
  });

  it('reads the change log and webhook settings and refuses a retry base below one second', () => {
    const config = loadConfig({ CHANGES_RETENTION_DAYS: '30', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_RETRY_BASE_MS: '2000' });
    expect(config.changes.retentionDays).toBe(30);
    expect(config.webhooks.allowPrivateTargets).toBe(true);
    expect(config.webhooks.retryBaseMs).toBe(2000);
    expect(configError({ WEBHOOK_RETRY_BASE_MS: '10' }).message).toBe('WEBHOOK_RETRY_BASE_MS must be between 1000 and 3600000, got 10');
  });

  it('reads SYNC_BODY_LIMIT_BYTES and refuses less than 1 KiB', () => {
    expect(loadConfig({ SYNC_BODY_LIMIT_BYTES: '2048' }).sync.bodyLimitBytes).toBe(2048);
    expect(configError({ SYNC_BODY_LIMIT_BYTES: '10' }).message).toMatch(/^SYNC_BODY_LIMIT_BYTES must be between 1024 and/);
  });

  it('reads SYNC_JOB_RETENTION_DAYS (default 30) and refuses 0', () => {
    expect(loadConfig({}).sync.jobRetentionDays).toBe(30);
    expect(loadConfig({ SYNC_JOB_RETENTION_DAYS: '7' }).sync.jobRetentionDays).toBe(7);
    expect(configError({ SYNC_JOB_RETENTION_DAYS: '0' }).message).toBe('SYNC_JOB_RETENTION_DAYS must be between 1 and 36500, got 0');
  });

  it('reads TOKEN_CONCURRENCY and refuses 0', () => {
    expect(loadConfig({ TOKEN_CONCURRENCY: '3' }).load.tokenConcurrency).toBe(3);
    expect(configError({ TOKEN_CONCURRENCY: '0' }).message).toBe('TOKEN_CONCURRENCY must be between 1 and 10000, got 0');
  });

  it('keeps the embedded data under .data/ in the working directory', () => {
    expect(loadConfig({}).database.embedded.dataDir).toBe(resolve(process.cwd(), '.data', 'postgres'));
  });

  it('reads the variables it documents', () => {
    const config = loadConfig({
      PORT: '8080',
      DATABASE_URL: 'postgresql://u:p@db.internal:6543/directory',
      DB_MIGRATE_ON_START: 'false',
      AUTH_COMPAT: 'true',
      BODY_LIMIT_BYTES: '2048',
      CORS_ORIGINS: 'https://a.example.com, https://b.example.com',
      LOG_LEVEL: 'warn',
    });
    expect(config.http.port).toBe(8080);
    expect(config.database.url).toBe('postgresql://u:p@db.internal:6543/directory');
    expect(config.database.migrateOnStart).toBe(false);
    expect(config.auth.compat).toBe(true);
    expect(config.http.bodyLimitBytes).toBe(2048);
    expect(config.http.corsOrigins).toEqual(['https://a.example.com', 'https://b.example.com']);
    expect(config.log.level).toBe('warn');
  });

  it('reads the request and keep-alive timeouts, and checks for late requests often enough', () => {
    expect(loadConfig({ REQUEST_TIMEOUT_MS: '2000', KEEP_ALIVE_TIMEOUT_MS: '5000' }).http).toMatchObject({
      requestTimeoutMs: 2_000,
      headersTimeoutMs: 2_000,
      timeoutCheckIntervalMs: 500,
      keepAliveTimeoutMs: 5_000,
    });
    expect(loadConfig({ REQUEST_TIMEOUT_MS: '120000' }).http).toMatchObject({ headersTimeoutMs: 10_000, timeoutCheckIntervalMs: 1_000 });
    expect(configError({ REQUEST_TIMEOUT_MS: '0' }).message).toBe('REQUEST_TIMEOUT_MS must be between 100 and 600000, got 0');
    expect(configError({ KEEP_ALIVE_TIMEOUT_MS: 'soon' }).message).toBe('KEEP_ALIVE_TIMEOUT_MS must be a whole number, got "soon"');
  });

  it('reads the unauthenticated rate limit', () => {
    expect(loadConfig({ UNAUTH_RATE_LIMIT: '30' }).rateLimit.unauthLimit).toBe(30);
    expect(configError({ UNAUTH_RATE_LIMIT: '0' }).message).toBe('UNAUTH_RATE_LIMIT must be between 1 and 10000000, got 0');
  });

  it('reads the token lifetimes and the first-start token file', () => {
    const config = loadConfig({
      TOKEN_DEFAULT_TTL: '1w',
      TOKEN_MAX_TTL: '30d',
      BOOTSTRAP_TOKEN_TTL: '1h',
      BOOTSTRAP_TOKEN_FILE: 'run/first',
    });
    expect(config.tokenLifetime).toEqual({ defaultMs: 7 * 86_400_000, maxMs: 30 * 86_400_000 });
    expect(config.bootstrapToken).toEqual({ ttlMs: 3_600_000, file: resolve('run/first') });
  });

  it('puts the first-start token file next to the embedded data directory, or in the home directory with DATABASE_URL', () => {
    expect(loadConfig({ EMBEDDED_DB_DIR: '/srv/og/pg' }).bootstrapToken.file).toBe('/srv/og/bootstrap-token');
    expect(loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/og', HOME: '/home/node' }).bootstrapToken.file).toBe(
      '/home/node/.organigram/bootstrap-token',
    );
    expect(loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/og', BOOTSTRAP_TOKEN_FILE: '/run/secrets/og' }).bootstrapToken.file).toBe(
      '/run/secrets/og',
    );
  });

  it('treats an empty DATABASE_URL as unset (embedded database)', () => {
    expect(loadConfig({ DATABASE_URL: '  ' }).database.url).toBeUndefined();
  });

  it.each(['yes', 'on', '1', 'TRUE'])('reads %p as true for a switch', (value) => {
    expect(loadConfig({ AUTH_COMPAT: value }).auth.compat).toBe(true);
  });

  it.each([
    [{ DATABASE_URL: 'not a url' }, /DATABASE_URL is not a valid URL/],
    [{ DATABASE_URL: 'localhost:5432/organigram' }, /DATABASE_URL must start with postgres:\/\/ or postgresql:\/\//],
    [
      { DATABASE_URL: 'mysql://u:p@localhost:3306/organigram' },
      /DATABASE_URL must start with postgres:\/\/ or postgresql:\/\/, got mysql:\/\//,
    ],
    [{ DATABASE_URL: 'postgres://u:p@localhost:5432/' }, /DATABASE_URL has no database name/],
    [{ PORT: 'abc' }, /PORT must be a whole number, got "abc"/],
    [{ PORT: '70000' }, /PORT must be between 0 and 65535, got 70000/],
    [{ PORT: '-1' }, /PORT must be a whole number/],
    [{ PORT: '3000.5' }, /PORT must be a whole number/],
    [{ AUTH_COMPAT: 'maybe' }, /AUTH_COMPAT must be true or false, got "maybe"/],
    [{ LOG_LEVEL: 'verbose' }, /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"/],
    [{ BODY_LIMIT_BYTES: '10' }, /BODY_LIMIT_BYTES must be between/],
    [{ CORS_ORIGINS: 'https://a.example.com,*' }, /CORS_ORIGINS is either "\*" alone/],
    [{ TOKEN_DEFAULT_TTL: '90 days' }, /TOKEN_DEFAULT_TTL must be a duration such as 90d/],
    [{ TOKEN_MAX_TTL: '0d' }, /TOKEN_MAX_TTL must be a duration/],
    [{ TOKEN_DEFAULT_TTL: '400d' }, /TOKEN_DEFAULT_TTL \(400d\) must not exceed TOKEN_MAX_TTL \(365d\)/],
    [
      { BOOTSTRAP_TOKEN_TTL: '2d', TOKEN_MAX_TTL: '1d', TOKEN_DEFAULT_TTL: '1d' },
      /BOOTSTRAP_TOKEN_TTL \(2d\) must not exceed TOKEN_MAX_TTL/,
    ],
    [{ CORS_ORIGINS: 'https://a.example.com/path' }, /CORS_ORIGINS entry "https:\/\/a.example.com\/path" must be a bare origin/],
  ])('refuses %p with one clear line', (env, message) => {
    const error = configError(env);
    expect(error.name).toBe('ConfigError');
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('\n');
  });

  it('never repeats the password of a malformed DATABASE_URL', () => {
    const error = configError({ DATABASE_URL: 'mysql://user:hunter2@localhost/organigram' });
    expect(error.message).not.toContain('hunter2');
  });
});
