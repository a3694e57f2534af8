import type { EmbeddedDatabase } from '../../src/database/embedded-postgres.ts';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __organigramDb?: EmbeddedDatabase }).__organigramDb?.stop();
}
