import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../src/app.setup.js';
import { loadConfig } from '../src/config/app-config.js';

/**
 * Lints the OpenAPI document the application serves at /docs-json with Spectral (.spectral.yaml:
 * spectral:oas plus the OWASP API Security ruleset). No database is needed: the application is built
 * for its document only (never connected, never initialised) and the document is read in-process,
 * so this runs in `npm run check` anywhere.
 */
const UNUSED_DATABASE = 'postgresql://openapi:unused@127.0.0.1:9/unused';

async function servedDocument(): Promise<string> {
  const app = await createApp(loadConfig({ LOG_LEVEL: 'silent', DATABASE_URL: UNUSED_DATABASE }), UNUSED_DATABASE, { documentOnly: true });
  try {
    const res = await app.inject({ method: 'GET', url: '/docs-json' });
    if (res.statusCode !== 200) throw new Error(`GET /docs-json answered ${res.statusCode}`);
    return res.body;
  } finally {
    await app.close();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'organigram-openapi-'));
  try {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, await servedDocument());
    const spectral = join(process.cwd(), 'node_modules', '@stoplight', 'spectral-cli', 'dist', 'index.js');
    const args = [spectral, 'lint', file, '--ruleset', '.spectral.yaml', '--fail-severity', 'warn', ...process.argv.slice(2)];
    const result = spawnSync(process.execPath, args, { stdio: 'inherit' });
    process.exitCode = result.status ?? 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
