import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { pino } from 'pino';
import { createLogger, PinoNestLogger } from '../src/common/http/logger.js';
import { MikroORM } from '@mikro-orm/postgresql';
import { ConfigError, loadConfig, type AppConfig } from '../src/config/app-config.js';
import { cliOrmConfig } from '../src/entities.js';
import { openDatabaseTarget } from '../src/database/database-target.js';
import { connectDatabase, describeDatabaseUrl, prepareDatabase } from '../src/database/prepare.js';

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
 * Runs `work` against the same database `npm start` would use (DATABASE_URL or the embedded one).
 * `migrate`: apply pending migrations first (true), or only connect, leaving migrations to `work`
 * ('none': the migration CLI, which must work whatever DB_MIGRATE_ON_START says).
 */
export async function withOrm<T>(
  work: (orm: MikroORM, config: AppConfig, url: string) => Promise<T>,
  options: { migrate: boolean | 'none' },
): Promise<T> {
  const config = cliConfig();
  const target = await openDatabaseTarget(config).catch((error: Error) => die(error.message));
  const orm = new MikroORM({ ...cliOrmConfig(config, target.url), allowGlobalContext: true, logger: () => undefined });
  try {
    const prepared =
      options.migrate === 'none'
        ? connectDatabase(orm)
        : prepareDatabase(orm, { ...config, database: { ...config.database, migrateOnStart: options.migrate } });
    await prepared.catch((error: Error) =>
      die(`cannot use the database at ${describeDatabaseUrl(target.url)}: ${error.message.split('\n')[0]}`),
    );
    return await work(orm, config, target.url);
  } finally {
    await orm.close(true);
    await target.close();
  }
}
