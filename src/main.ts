import 'reflect-metadata';
import { MikroORM } from '@mikro-orm/postgresql';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from './app.setup.js';
import { ConfigError, loadConfig, type AppConfig } from './config/app-config.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './database/embedded-postgres.js';
import { describeDatabaseUrl, plaintextDatabaseWarning } from './database/prepare.js';
import { BootstrapDeliveryError, deliverBootstrapToken } from './tokens/bootstrap-token.js';
import { TokensService } from './tokens/tokens.service.js';

function fail(message: string): never {
  process.stderr.write(`organigram: ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    fail(error instanceof ConfigError ? `invalid configuration: ${error.message}` : String(error));
  }

  let embedded: EmbeddedDatabase | undefined;
  if (!config.database.url) {
    try {
      embedded = await startEmbeddedPostgres({
        dataDir: config.database.embedded.dataDir,
        port: config.database.embedded.port,
        runtimeRoot: config.database.embedded.runtimeDir,
      });
    } catch (error) {
      fail((error as Error).message);
    }
  }
  const url = config.database.url ?? embedded!.url;

  let app: NestFastifyApplication;
  try {
    // Checks the connection and applies pending migrations (or refuses to start when
    // DB_MIGRATE_ON_START=false and some are pending) before the modules start their workers. On
    // failure it has closed the application; a DatabaseNotReadyError says which database and why.
    app = await createApp(config, url);
  } catch (error) {
    await embedded?.stop().catch(() => undefined);
    fail(error instanceof Error ? error.message : String(error));
  }
  const orm = app.get(MikroORM);
  /** A failure after createApp, before listening: close the application and the embedded database, exit 1. */
  const abort = async (error: unknown): Promise<never> => {
    await app.close().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    fail(error instanceof Error ? error.message : String(error));
  };

  // The first-start token: printed to a terminal, else written to an owner-only file; never logged.
  const log = app.getHttpAdapter().getInstance().log;
  const file = config.bootstrapToken.file;
  try {
    await new TokensService(orm.em.fork(), config).createBootstrapTokenIfNone((token) =>
      deliverBootstrapToken(token, { stdout: process.stdout, file, log }),
    );
  } catch (error) {
    if (!(error instanceof BootstrapDeliveryError)) return abort(error);
    log.error(
      { file, error: error.message },
      'no first-start token was created (it could not be written); set BOOTSTRAP_TOKEN_FILE or create one with: npm run token -- create',
    );
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const timer = setTimeout(() => {
      process.stderr.write(`organigram: shutdown took longer than ${config.http.shutdownGraceMs} ms, exiting\n`);
      process.exit(1);
    }, config.http.shutdownGraceMs);
    timer.unref();
    // app.close(): stop accepting, finish in-flight requests, then module destroy closes the pool.
    await app.close().catch((error: Error) => process.stderr.write(`organigram: error while closing: ${error.message}\n`));
    await embedded?.stop();
    process.stderr.write(`organigram: stopped (${signal})\n`);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ port: config.http.port, host: config.http.host }).catch(abort);
  const plaintext = plaintextDatabaseWarning(url);
  if (plaintext) log.warn(plaintext);
  log.info({ port: config.http.port, database: describeDatabaseUrl(url), embedded: Boolean(embedded) }, 'organigram listening');
}

void main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
