import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { MikroORM } from '@mikro-orm/postgresql';
import { loadConfig } from '../../src/config/app-config.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/database/embedded-postgres.js';
import { ormConfig } from '../../src/database/mikro-orm.config.js';
import { sql } from '../support/sql.js';
import { freePort } from '../support/free-port.js';

const ROOT = join(import.meta.dirname, '..', '..');
/** A build of its own, so that other tests rebuilding dist/ never pull the files from under this server. */
const BUILD = join(ROOT, 'node_modules', '.cache', 'organigram-shutdown-test');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');

interface Outcome {
  status?: number;
  error?: string;
}

/** One GET on a fresh connection (no keep-alive): resolves with the status or the network error code. */
function get(port: number, path: string, token: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: false, headers: { Authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.end();
  });
}

/** Contract section 8 / issue: SIGTERM under load finishes what was accepted, refuses the rest, closes sessions. */
describe('Graceful shutdown on SIGTERM', () => {
  let db: EmbeddedDatabase;
  let admin: MikroORM;
  let dir: string;
  let server: ChildProcess | undefined;

  beforeAll(async () => {
    await promisify(execFile)(
      NODE,
      [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', join(BUILD, 'dist')],
      {
        cwd: ROOT,
      },
    );
    dir = mkdtempSync(join(tmpdir(), 'organigram-shutdown-'));
    chmodSync(dir, 0o755);
    db = await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), port: await freePort() });
    const config = loadConfig({ DATABASE_URL: db.url });
    const base = ormConfig(config, db.url);
    admin = new MikroORM({
      ...base,
      allowGlobalContext: true,
      logger: () => undefined,
      driverOptions: { ...(base.driverOptions as object), application_name: 'shutdown-admin', statement_timeout: 0, lock_timeout: 0 },
    });
  }, 180_000);

  afterAll(async () => {
    server?.kill('SIGKILL');
    await admin?.close(true);
    await db?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('finishes accepted requests, refuses new connections, closes its sessions and exits 0 within the grace period', async () => {
    const port = await freePort();
    server = spawn(NODE, [join(BUILD, 'dist', 'src', 'main.js')], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        RATE_LIMIT_ENABLED: 'false',
        // Ten lists of one token in flight below, above the default of 8 on purpose.
        TOKEN_CONCURRENCY: '16',
        SHUTDOWN_GRACE_MS: '15000',
        BOOTSTRAP_TOKEN_FILE: join(dir, 'bootstrap-token'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    server.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => server?.once('exit', (code) => resolve(code)));

    // Standard output is a pipe: the first start writes its token to the owner-only file, never to stdout.
    const file = join(dir, 'bootstrap-token');
    const waitStart = Date.now();
    const written = () => (existsSync(file) ? /^ogm_[0-9A-Za-z]{36}$/.exec(readFileSync(file, 'utf8').trim())?.[0] : undefined);
    while (!written() && Date.now() - waitStart < 30_000) await sleep(100);
    const token = written() ?? '';
    expect(token).not.toBe('');
    expect(stdout).not.toContain(token);
    while ((await get(port, '/health/ready', token)).status !== 200) await sleep(100);

    // Park requests in flight: they wait on a table lock held by the spec for 2 s.
    const lock = sql(admin.em.fork(), 'do $$ begin lock table person in access exclusive mode; perform pg_sleep(2); end $$');
    await sleep(300);
    const inFlight = Array.from({ length: 10 }, () => get(port, '/api/v2/data/people', token));
    await sleep(500);
    const activeBefore = await sql<{ n: number }>(
      admin.em.fork(),
      "select count(*)::int as n from pg_stat_activity where application_name = 'organigram' and wait_event_type = 'Lock'",
    );
    expect(activeBefore[0].n).toBeGreaterThan(0);

    const sigterm = Date.now();
    server.kill('SIGTERM');
    await sleep(200);
    const late = await get(port, '/api/v2/data/people', token);
    expect(late).toEqual({ error: 'ECONNREFUSED' });

    await lock;
    const finished = await Promise.all(inFlight);
    expect(finished).toEqual(Array.from({ length: 10 }, () => ({ status: 200 })));

    expect(await exited).toBe(0);
    expect(Date.now() - sigterm).toBeLessThan(15_000);
    server = undefined;
    const sessions = await sql<{ n: number }>(
      admin.em.fork(),
      "select count(*)::int as n from pg_stat_activity where application_name = 'organigram'",
    );
    expect(sessions).toEqual([{ n: 0 }]);
  }, 120_000);
});
