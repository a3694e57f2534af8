import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { pino } from 'pino';
import { createLogger, PinoNestLogger } from '../src/common/http/logger.js';
import { MikroORM } from '@mikro-orm/postgresql';
import { ConfigError, loadConfig, type AppConfig } from '../src/config/app-config.js';
import { cliOrmConfig } from '../src/entities.js';
import { openDatabaseTarget } from '../src/database/database-target.js';
import { connectDatabase, DatabaseNotReadyError, prepareDatabase } from '../src/database/prepare.js';

export function die(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/**
 * The validated configuration of a CLI (it exits on an invalid one), with the logs as JSON lines on
 * standard error: standard output is the command's answer.
 */
export function cliConfig(): AppConfig {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    die(error instanceof ConfigError ? `invalid configuration: ${error.message}` : String(error));
  }
  Logger.overrideLogger(new PinoNestLogger(createLogger(config, pino.destination({ dest: 2, sync: true }))));
  return config;
}

/**
 * A CLI's own ORM on `url` (every entity, the global context allowed), its database prepared as
 * the server's is, before anything else uses it (docs/decisions.md, "Boot order"). `migrate`: apply
 * pending migrations (true), refuse when some are pending (false), or only connect, leaving
 * migrations to the caller ('none': the migration CLI, which must work whatever
 * DB_MIGRATE_ON_START says). When the database cannot be used, the ORM is closed again and a
 * {@link DatabaseNotReadyError} thrown.
 */
export async function openPreparedOrm(config: AppConfig, url: string, migrate: boolean | 'none'): Promise<MikroORM> {
  const orm = new MikroORM({ ...cliOrmConfig(config, url), allowGlobalContext: true, logger: () => undefined });
  try {
    if (migrate === 'none') await connectDatabase(orm);
    else await prepareDatabase(orm, { ...config, database: { ...config.database, migrateOnStart: migrate } });
  } catch (error) {
    await orm.close(true).catch(() => undefined);
    throw new DatabaseNotReadyError(url, error);
  }
  return orm;
}

/**
 * Runs `work` against the same database `npm start` would use (DATABASE_URL or the embedded one),
 * prepared first ({@link openPreparedOrm}). A database that cannot be used ends the command with
 * one line and status 1, the embedded database stopped.
 */
export async function withOrm<T>(
  work: (orm: MikroORM, config: AppConfig, url: string) => Promise<T>,
  options: { migrate: boolean | 'none' },
): Promise<T> {
  const config = cliConfig();
  const target = await openDatabaseTarget(config).catch((error: Error) => die(error.message));
  const orm = await openPreparedOrm(config, target.url, options.migrate).catch(async (error: Error) => {
    await target.close().catch(() => undefined);
    return die(error.message);
  });
  try {
    return await work(orm, config, target.url);
  } finally {
    await orm.close(true);
    await target.close();
  }
}
