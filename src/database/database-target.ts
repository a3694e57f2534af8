import type { AppConfig } from '../config/app-config.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './embedded-postgres.js';

/** The database every entry point (server, token CLI, migration CLI) uses: DATABASE_URL or the embedded one. */
export interface DatabaseTarget {
  readonly url: string;
  readonly embedded: EmbeddedDatabase | undefined;
  close(): Promise<void>;
}

export async function openDatabaseTarget(config: AppConfig): Promise<DatabaseTarget> {
  if (config.database.url) return { url: config.database.url, embedded: undefined, close: () => Promise.resolve() };
  const embedded = await startEmbeddedPostgres({
    dataDir: config.database.embedded.dataDir,
    port: config.database.embedded.port,
    runtimeRoot: config.database.embedded.runtimeDir,
  });
  return { url: embedded.url, embedded, close: () => embedded.stop() };
}
