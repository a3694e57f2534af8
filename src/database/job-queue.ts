import { PgBoss, type ConstructorOptions } from 'pg-boss';
import type { AppConfig } from '../config/app-config.js';
import { sslFromUrl } from './mikro-orm.config.js';

/** The schema pg-boss keeps its queues in (created by the migration `job_queue`, filled by pg-boss). */
export const JOB_QUEUE_SCHEMA = 'pgboss';

/**
 * Options of the one pg-boss instance of a process: its own small pool (`DB_JOBS_POOL_MAX`) beside
 * MikroORM's, the same session timeouts, no cron scheduling. pg-boss installs and upgrades its own
 * tables when `migrate` is true: at start when DB_MIGRATE_ON_START is on, else by
 * `npm run migration:up` (see {@link installJobQueueSchema}).
 */
export function jobQueueOptions(config: AppConfig, url: string, migrate: boolean): ConstructorOptions {
  const db = config.database;
  return {
    connectionString: url,
    ssl: sslFromUrl(url),
    schema: JOB_QUEUE_SCHEMA,
    max: db.jobsPoolMax,
    application_name: 'organigram-jobs',
    connectionTimeoutMillis: db.acquireTimeoutMs,
    migrate,
    createSchema: migrate,
    schedule: false,
    supervise: true,
    openTelemetry: { enabled: false },
  };
}

/** Installs or upgrades pg-boss's tables, then stops: the migration CLI's second step. */
export async function installJobQueueSchema(config: AppConfig, url: string): Promise<void> {
  const boss = new PgBoss({ ...jobQueueOptions(config, url, true), supervise: false });
  boss.on('error', () => undefined);
  await boss.start();
  await boss.stop({ graceful: false });
}
