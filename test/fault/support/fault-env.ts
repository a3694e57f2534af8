import 'reflect-metadata';
import { MikroORM } from '@mikro-orm/postgresql';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { createApp } from '../../../src/app.setup.js';
import { SiteRole } from '../../../src/common/auth/site-roles.js';
import { loadConfig, type AppConfig } from '../../../src/config/app-config.js';
import { isAlive, startEmbeddedPostgres, type EmbeddedDatabase } from '../../../src/database/embedded-postgres.js';
import { freePort } from '../../support/free-port.js';
import { sql } from '../../support/sql.js';
import { adminOrm } from './admin-orm.js';
import { TokensService } from '../../../src/tokens/tokens.service.js';

/**
 * A private embedded PostgreSQL per fault spec, which the spec may stop, crash and restart at will,
 * and the real application on top of it.
 */
export class FaultEnv {
  private constructor(
    readonly db: EmbeddedDatabase,
    readonly app: NestFastifyApplication,
    readonly config: AppConfig,
    readonly token: string,
    private readonly admin: MikroORM,
    private readonly dir: string,
  ) {}

  static async start(env: Record<string, string> = {}): Promise<FaultEnv> {
    const dir = mkdtempSync(join(tmpdir(), 'organigram-fault-'));
    chmodSync(dir, 0o755); // PostgreSQL runs as the `postgres` user when we are root
    // Not throwaway: embedded-postgres deletes a throwaway cluster on stop, and these specs restart it.
    // close() removes the directory.
    const db = await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), port: await freePort() });
    const config = loadConfig({
      LOG_LEVEL: 'silent',
      RATE_LIMIT_ENABLED: 'false',
      DB_ACQUIRE_TIMEOUT_MS: '1000',
      DB_RETRY_AFTER_SECONDS: '3',
      ...env,
      DATABASE_URL: db.url,
    });
    // A separate pool, named apart, for the spec's own SQL (terminating the app's sessions, snapshots).
    const admin = adminOrm(db.url, 'organigram-fault-admin', config);
    // Migrates the fresh database before the modules start, as the server does.
    const app = await createApp(config, db.url);
    // A real listening socket: supertest's per-request ephemeral listen does not hold up under load.
    await app.listen({ port: 0, host: '127.0.0.1' });
    const created = await new TokensService(admin.em.fork(), config).create({ name: 'fault', role: SiteRole.OpseraAdministrator });
    return new FaultEnv(db, app, config, created.token, admin, dir);
  }

  http() {
    const address = this.app.getHttpServer().address();
    return request(typeof address === 'object' && address ? `http://127.0.0.1:${address.port}` : this.app.getHttpServer());
  }

  auth() {
    return { Authorization: `Bearer ${this.token}` };
  }

  /** SQL on the spec's own pool (not the application's). */
  sql<T = Record<string, unknown>>(query: string, params: unknown[] = []): Promise<T[]> {
    return sql<T>(this.admin.em.fork(), query, params);
  }

  /** Terminates every session of the application (pg_terminate_backend). */
  async terminateAppSessions(): Promise<number> {
    const rows = await this.sql<{ n: number }>(
      "select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where application_name = 'organigram' and pid <> pg_backend_pid()",
    );
    return rows[0].n;
  }

  /** Crash-like stop: SIGQUIT to the postmaster (immediate mode, no checkpoint), then wait for it. */
  async crashDatabase(): Promise<void> {
    const pid = this.db.pid();
    if (!pid) throw new Error('the database is not running');
    process.kill(pid, 'SIGQUIT');
    for (let i = 0; i < 100 && this.db.pid() === pid && isAlive(pid); i++) await sleep(100);
  }

  /** The application's pool, from pg: connections open, idle and checked out. */
  async poolStats(): Promise<{ total: number; idle: number; waiting: number }> {
    const pool = (await this.app.get(MikroORM).em.getConnection().getNativeClient()) as unknown as {
      totalCount: number;
      idleCount: number;
      waitingCount: number;
    };
    return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
  }

  /** Polls `probe` until it returns true or `ms` pass; returns the time it took. */
  static async until(probe: () => Promise<boolean>, ms: number): Promise<number> {
    const start = Date.now();
    while (Date.now() - start < ms) {
      if (await probe().catch(() => false)) return Date.now() - start;
      await sleep(200);
    }
    throw new Error(`condition not met within ${ms} ms`);
  }

  async close(): Promise<void> {
    await this.app.close().catch(() => undefined);
    await this.admin.close(true).catch(() => undefined);
    await this.db.stop().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
