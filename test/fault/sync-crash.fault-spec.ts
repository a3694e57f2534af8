import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
const BUILD = join(ROOT, 'node_modules', '.cache', 'organigram-sync-crash-test');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
const PEOPLE = 40_000;

/**
 * Contract section 12 / issue 12: a sync job accepted before a crash finishes after the restart and
 * never stays `running`; the crash applies nothing (one transaction). The server runs as a child
 * process and is killed with SIGKILL while its job is running.
 */
describe('Sync job across a crash of the server', () => {
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
    dir = mkdtempSync(join(tmpdir(), 'organigram-sync-crash-'));
    chmodSync(dir, 0o755);
    db = await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), port: await freePort() });
    const config = loadConfig({ DATABASE_URL: db.url });
    const base = ormConfig(config, db.url);
    admin = new MikroORM({
      ...base,
      allowGlobalContext: true,
      logger: () => undefined,
      driverOptions: { ...(base.driverOptions as object), application_name: 'sync-crash-admin', statement_timeout: 0 },
    });
  }, 180_000);

  afterAll(async () => {
    server?.kill('SIGKILL');
    await admin?.close(true);
    await db?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  async function startServer(): Promise<{ port: number; token: string }> {
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
        BOOTSTRAP_TOKEN_FILE: join(dir, 'bootstrap-token'),
      },
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    const file = join(dir, 'bootstrap-token');
    const token = () => (existsSync(file) ? /^ogm_[0-9A-Za-z]{36}$/.exec(readFileSync(file, 'utf8').trim())?.[0] : undefined);
    const start = Date.now();
    while (!token() && Date.now() - start < 60_000) await sleep(100);
    for (;;) {
      const ready = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined);
      if (ready?.status === 200) break;
      if (Date.now() - start > 60_000) throw new Error('the server did not become ready');
      await sleep(100);
    }
    return { port, token: token()! };
  }

  const status = async (id: string) =>
    (await sql<{ status: string; attempts: number }>(admin.em.fork(), 'select status, attempts from sync_job where id = ?', [id]))[0];
  const people = async () => (await sql<{ n: number }>(admin.em.fork(), 'select count(*)::int as n from person'))[0].n;

  it('finishes the job after SIGKILL and a restart, applied exactly once', async () => {
    const { port, token } = await startServer();
    const lines = ['email,firstName,lastName,department'];
    for (let i = 0; i < PEOPLE; i++) lines.push(`crash${i}@example.com,First${i},Last${i},Dept ${i % 20}`);
    const res = await fetch(`http://127.0.0.1:${port}/api/v2/sync/jobs?mode=snapshot&max_changes=${PEOPLE}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'text/csv' },
      body: `${lines.join('\n')}\n`,
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };

    // Killed while the job runs (its plan and apply take seconds at this size).
    const start = Date.now();
    while ((await status(id)).status !== 'running' && Date.now() - start < 30_000) await sleep(20);
    await sleep(500);
    server?.kill('SIGKILL');
    await new Promise((resolve) => server?.once('exit', resolve));
    server = undefined;
    expect(await status(id)).toEqual({ status: 'running', attempts: 1 });
    expect(await people()).toBe(0);

    await startServer();
    const restarted = Date.now();
    let last = await status(id);
    while (['queued', 'running'].includes(last.status) && Date.now() - restarted < 200_000) {
      await sleep(500);
      last = await status(id);
    }
    expect(last).toEqual({ status: 'succeeded', attempts: 2 });
    expect(await people()).toBe(PEOPLE);
    expect(await sql(admin.em.fork(), 'select count(*)::int as n from sync_change where job_id = ?', [id])).toEqual([{ n: PEOPLE }]);
  }, 400_000);
});
