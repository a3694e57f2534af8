import 'reflect-metadata';
import { MikroORM } from '@mikro-orm/postgresql';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DestinationStream } from 'pino';
import request from 'supertest';
import { createApp } from '../../src/app.setup.js';
import { loadConfig, type AppConfig } from '../../src/config/app-config.js';
import { ormConfig } from '../../src/database/mikro-orm.config.js';
import { SiteRole } from '../../src/common/auth/site-roles.js';
import { TokensService } from '../../src/tokens/tokens.service.js';
import { registerServedDocument } from './openapi-conformance.js';

const TEST_DATABASE_ENV = 'ORGANIGRAM_TEST_DATABASE_URL';

/** Tables emptied before each test file (children first). */
const TABLES = [
  'api_token',
  'org_person',
  'org_role',
  'org_unit',
  'person',
  'org_person_history',
  'org_role_history',
  'org_unit_history',
  'person_history',
  'reporting_line_history',
];

export interface TestTokens {
  opseraAdmin: string;
  admin: string;
  powerUser: string;
  viewer: string;
}

export interface TestApp {
  app: NestFastifyApplication;
  /** supertest bound to the app's server. */
  http: () => ReturnType<typeof request>;
  /** Direct SQL for asserting database state. */
  sql: <T = Record<string, unknown>>(query: string, params?: unknown[]) => Promise<T[]>;
  tokens: TestTokens;
  config: AppConfig;
  url: string;
  /**
   * Creates another token directly (bypassing the API). `scopes: []` gives a token without any
   * scope, as the database may still hold from before scopes could not be empty.
   */
  createToken(
    role: SiteRole,
    options?: { scopes?: string[]; expiresAt?: Date | null; name?: string; projectId?: string | null },
  ): Promise<{ id: string; token: string }>;
  close(): Promise<void>;
}

/** One database per Jest worker on the test server, so files in parallel workers never share rows. */
async function workerDatabaseUrl(): Promise<string> {
  const base = process.env[TEST_DATABASE_ENV];
  if (!base) throw new Error(`${TEST_DATABASE_ENV} is not set: run the e2e tests through npm test (jest globalSetup)`);
  const url = new URL(base);
  const name = `${url.pathname.slice(1)}_w${process.env.JEST_WORKER_ID ?? '1'}`;
  const admin = new MikroORM(ormConfig(loadConfig({ DATABASE_URL: base }), base));
  try {
    const rows = await admin.em.getConnection().execute('select 1 from pg_database where datname = ?', [name]);
    if (rows.length === 0) await admin.em.getConnection().execute(`create database "${name}"`);
  } finally {
    await admin.close(true);
  }
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Waits (at most a minute) until no other session of the worker's database is inside a statement or
 * a transaction. A test file's app closes its pool when the file ends, but a statement it had started
 * (a sync job applying, a webhook delivery) runs on until it ends, holding its locks: the next file's
 * truncate would wait behind it past its lock timeout, or deadlock. Past the minute the truncate
 * goes ahead and says for itself what it met.
 */
async function earlierSessionsSettled(connection: ReturnType<MikroORM['em']['getConnection']>): Promise<void> {
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    const [row] = await connection.execute<{ n: number }[]>(
      `select count(*)::int as n from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend' and state <> 'idle'`,
    );
    if (row.n === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function createTestApp(
  env: Record<string, string> = {},
  options: { logDestination?: DestinationStream } = {},
): Promise<TestApp> {
  const url = await workerDatabaseUrl();
  const config = loadConfig({ LOG_LEVEL: 'silent', RATE_LIMIT_ENABLED: 'false', ...env, DATABASE_URL: url });
  // createApp migrates the worker's database as the server does; the tables are emptied after the
  // migrations and before the modules start their workers.
  const app = await createApp(config, url, {
    logDestination: options.logDestination,
    beforeInit: async (orm) => {
      const connection = orm.em.fork().getConnection();
      await earlierSessionsSettled(connection);
      await connection.execute(`truncate ${TABLES.join(', ')} cascade`);
    },
  });
  await registerServedDocument(app);
  const orm = app.get(MikroORM);
  const createToken: TestApp['createToken'] = async (role, options = {}) => {
    const noScope = options.scopes?.length === 0;
    const created = await new TokensService(orm.em.fork(), config).create({
      name: options.name ?? `test ${role}`,
      role,
      scopes: noScope ? undefined : (options.scopes as never),
      expiresAt: options.expiresAt ?? null,
      projectId: options.projectId ?? null,
    });
    if (noScope) await orm.em.fork().getConnection().execute(`update api_token set scopes = '{}' where id = ?`, [created.id]);
    return { id: created.id, token: created.token };
  };
  const tokens: TestTokens = {
    opseraAdmin: (await createToken(SiteRole.OpseraAdministrator)).token,
    admin: (await createToken(SiteRole.Administrator)).token,
    powerUser: (await createToken(SiteRole.PowerUser)).token,
    viewer: (await createToken(SiteRole.Viewer)).token,
  };
  return {
    app,
    http: () => request(app.getHttpServer()),
    sql: <T>(query: string, params: unknown[] = []) => orm.em.fork().getConnection().execute<T[]>(query, params),
    tokens,
    config,
    url,
    createToken,
    close: () => app.close(),
  };
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** Matchers for values that differ per run. */
export const UUID = expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
export const ISO = expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

/** The problem-details body every error carries. */
export function problem(status: number, slug: string, extra: Record<string, unknown> = {}) {
  return {
    type: `https://organigram.dev/problems/${slug}`,
    title: expect.any(String),
    status,
    detail: expect.any(String),
    instance: expect.any(String),
    requestId: expect.any(String),
    ...extra,
  };
}
