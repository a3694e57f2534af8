import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../support/free-port.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { ServerFixture } from './support/server.js';

/** Receivers on 127.0.0.1; debug logs, so that even a debug line about the schema would show. */
const ENV = { LOG_LEVEL: 'debug', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_RETRY_BASE_MS: '1000' };

type LogLine = { level: number; msg?: string; context?: string } & Record<string, unknown>;

function logLines(stdout: string): LogLine[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/**
 * Boot order (docs/decisions.md): the server prepares its database (connection, migrations) before
 * any module starts its workers. On an empty database the first start migrates and its workers run
 * without ever meeting a missing table; with DB_MIGRATE_ON_START=false and migrations pending it
 * refuses to start, as the contract says, with nothing started and the embedded database stopped.
 */
describe('Boot order: the database is prepared before the workers start', () => {
  let fixture: ServerFixture;

  beforeAll(async () => {
    fixture = await ServerFixture.start('boot-order');
  }, 400_000);

  afterAll(() => fixture?.close(), 60_000);

  const tables = () =>
    fixture.sql<{ name: string }>(
      `select schemaname || '.' || tablename as name from pg_tables where schemaname in ('public', 'pgboss') order by 1`,
    );

  it('starts on an empty database, migrates it, and its workers run a sync job and a webhook delivery with nothing logged about missing tables', async () => {
    expect(await tables()).toEqual([]);
    const server = await fixture.startServer(ENV);
    const base = `http://127.0.0.1:${server.port}`;
    const headers = { Authorization: `Bearer ${server.token}` };
    const receiver = await WebhookReceiver.start(await freePort());
    try {
      const hook = await fetch(`${base}/api/v2/webhooks`, {
        method: 'POST',
        headers: { ...headers, 'Content-Type': 'application/json' },
        body: JSON.stringify({ url: receiver.url, events: ['person.*'] }),
      });
      expect(hook.status).toBe(201);

      // The sync worker: a job queued on the first start runs to the end.
      const submitted = await fetch(`${base}/api/v2/sync/jobs`, {
        method: 'POST',
        headers: { ...headers, 'Content-Type': 'text/csv' },
        body: 'email,firstName,lastName\nfirst@example.com,First,Start\nsecond@example.com,Second,Start\n',
      });
      expect(submitted.status).toBe(202);
      const { id } = (await submitted.json()) as { id: string };
      let job: { status: string; summary: Record<string, number> } = { status: 'queued', summary: {} };
      for (const end = Date.now() + 60_000; ['queued', 'running'].includes(job.status) && Date.now() < end; await sleep(200)) {
        job = (await (await fetch(`${base}/api/v2/sync/jobs/${id}`, { headers })).json()) as typeof job;
      }
      expect(job).toMatchObject({ status: 'succeeded', summary: { create: 2, update: 0, historicize: 0, unchanged: 0, invalid: 0 } });

      // The webhook dispatcher and delivery worker: the job's two creations reach the receiver.
      await receiver.until((r) => r.length >= 2, 60_000);
      const delivered = receiver.received.map((r) => JSON.parse(r.body) as { type: string; data: { after: { email: string } } });
      expect(delivered.map((d) => [d.type, d.data.after.email]).sort()).toEqual([
        ['person.create', 'first@example.com'],
        ['person.create', 'second@example.com'],
      ]);
    } finally {
      await receiver.close();
    }

    server.process.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    const lines = logLines(server.stdout());
    // The log was captured (from the first line to the stop), and nothing in it at warn or above.
    expect(lines.some((l) => l.msg === 'organigram listening')).toBe(true);
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
    expect(server.output()).not.toMatch(/does not exist|42P01|waits for the schema|not started/);
    expect(server.stderr()).toBe('organigram: stopped (SIGTERM)\n');
    expect(await tables()).toEqual(expect.arrayContaining([{ name: 'public.sync_job' }, { name: 'pgboss.job' }]));
  }, 240_000);

  it('with DB_MIGRATE_ON_START=false and migrations pending, refuses to start with the same line as before, starting nothing', async () => {
    await fixture.sql('create database refused');
    const url = new URL(fixture.db.url);
    url.pathname = '/refused';
    const { code, stdout, stderr } = await fixture.runUntilExit({
      DATABASE_URL: url.toString(),
      DB_MIGRATE_ON_START: 'false',
      LOG_LEVEL: 'info',
    });
    expect(code).toBe(1);
    expect(stderr).toBe(
      `organigram: cannot use the database at 127.0.0.1:${url.port}/refused: migrations are pending and DB_MIGRATE_ON_START=false: run npm run migration:up first\n`,
    );
    // No module was initialised (so no worker started): Nest never reported the application started.
    const lines = logLines(stdout);
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
    expect(lines.some((l) => l.msg === 'Nest application successfully started')).toBe(false);
    expect(lines.some((l) => l.context === 'RouterExplorer')).toBe(false);
  }, 120_000);

  it('refuses the same way on the embedded database, and stops it before exiting', async () => {
    const dataDir = join(fixture.directory, 'embedded', 'pg');
    const port = await freePort();
    const { code, stdout, stderr } = await fixture.runUntilExit({
      DATABASE_URL: undefined,
      EMBEDDED_DB_DIR: dataDir,
      EMBEDDED_DB_PORT: String(port),
      EMBEDDED_PG_RUNTIME_DIR: join(fixture.directory, 'embedded', 'runtime'),
      DB_MIGRATE_ON_START: 'false',
    });
    expect({ code, stderr }).toEqual({
      code: 1,
      stderr: `organigram: cannot use the database at 127.0.0.1:${port}/organigram: migrations are pending and DB_MIGRATE_ON_START=false: run npm run migration:up first\n`,
    });
    expect(logLines(stdout).filter((l) => l.level >= 40)).toEqual([]);
    // The cluster was created, then stopped: its postmaster.pid is gone and nothing listens on its port.
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
    expect(existsSync(join(dataDir, 'postmaster.pid'))).toBe(false);
    const refused = await fetch(`http://127.0.0.1:${port}/`).then(
      () => 'answered',
      (error: Error & { cause?: { code?: string } }) => error.cause?.code,
    );
    expect(refused).toBe('ECONNREFUSED');
    rmSync(join(fixture.directory, 'embedded'), { recursive: true, force: true });
  }, 180_000);
});
