import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/database/embedded-postgres.ts';
import { freePort } from './free-port.ts';

export const TEST_DATABASE_ENV = 'ORGANIGRAM_TEST_DATABASE_URL';

/**
 * With DATABASE_URL set, the e2e suite uses that server (one database per Jest worker, created on it).
 * Otherwise it starts a throwaway embedded PostgreSQL for the whole run.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.DATABASE_URL) {
    process.env[TEST_DATABASE_ENV] = process.env.DATABASE_URL;
    return;
  }
  const parent = mkdtempSync(join(tmpdir(), 'organigram-test-'));
  // As root, PostgreSQL runs as the `postgres` system user, which must be able to enter this directory.
  chmodSync(parent, 0o755);
  const dataDir = join(parent, 'pg');
  const db: EmbeddedDatabase = await startEmbeddedPostgres({ dataDir, port: await freePort(), throwaway: true, database: 'organigram' });
  (globalThis as { __organigramDb?: EmbeddedDatabase }).__organigramDb = db;
  process.env[TEST_DATABASE_ENV] = db.url;
}
