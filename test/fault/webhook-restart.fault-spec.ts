import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Webhook } from 'standardwebhooks';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/database/embedded-postgres.js';
import { freePort } from '../support/free-port.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

const ROOT = join(import.meta.dirname, '..', '..');
/** A build of its own, so that other tests rebuilding dist/ never pull the files from under this server. */
const BUILD = join(ROOT, 'node_modules', '.cache', 'organigram-webhook-restart-test');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');

interface Answer {
  status: number;
  body: unknown;
}

function call(port: number, method: string, path: string, token: string, body?: object): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body ? JSON.stringify(body) : undefined;
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method,
        agent: false,
        headers: { Authorization: `Bearer ${token}`, ...(payload ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as unknown) : undefined }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Contract 10.3: pending deliveries survive a restart. The process is killed (SIGKILL, no graceful
 * anything) while its receiver is down and deliveries are retrying; after a restart, with the
 * receiver back, every event arrives, signed, in log order.
 */
describe('Webhook deliveries across a crash', () => {
  let db: EmbeddedDatabase;
  let dir: string;
  let server: ChildProcess | undefined;

  beforeAll(async () => {
    await promisify(execFile)(
      NODE,
      [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', join(BUILD, 'dist')],
      { cwd: ROOT },
    );
    dir = mkdtempSync(join(tmpdir(), 'organigram-webhooks-'));
    chmodSync(dir, 0o755);
    db = await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), port: await freePort() });
  }, 180_000);

  afterAll(async () => {
    server?.kill('SIGKILL');
    await db?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  async function startServer(): Promise<{ port: number; token: string; exited: Promise<unknown> }> {
    const port = await freePort();
    server = spawn(NODE, [join(BUILD, 'dist', 'src', 'main.js')], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'error',
        RATE_LIMIT_ENABLED: 'false',
        BOOTSTRAP_TOKEN_FILE: join(dir, 'bootstrap-token'),
        WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
        WEBHOOK_RETRY_BASE_MS: '1000',
        WEBHOOK_TIMEOUT_MS: '1000',
      },
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    const exited = new Promise((resolve) => server?.once('exit', resolve));
    const file = join(dir, 'bootstrap-token');
    const started = Date.now();
    const written = () => (existsSync(file) ? /^ogm_[0-9A-Za-z]{36}$/.exec(readFileSync(file, 'utf8').trim())?.[0] : undefined);
    while (!written() && Date.now() - started < 60_000) await sleep(100);
    const token = written() ?? '';
    expect(token).not.toBe('');
    for (;;) {
      const ready = await call(port, 'GET', '/health/ready', token).catch(() => undefined);
      if (ready?.status === 200) break;
      await sleep(100);
    }
    return { port, token, exited };
  }

  it('delivers what was pending when the process died, after a restart, in log order', async () => {
    const receiverPort = await freePort();
    const first = await startServer();
    const hook = await call(first.port, 'POST', '/api/v2/webhooks', first.token, {
      url: `http://127.0.0.1:${receiverPort}/hook`,
      events: ['person.*'],
    });
    expect(hook.status).toBe(201);
    const { id, secret } = hook.body as { id: string; secret: string };
    for (const n of [1, 2, 3]) {
      const res = await call(first.port, 'POST', '/api/v2/data/people', first.token, {
        email: `crash${n}@example.com`,
        firstName: 'Crash',
        lastName: String(n),
      });
      expect(res.status).toBe(201);
    }
    // The receiver is down: the first delivery fails and is retried; the others wait behind it.
    for (;;) {
      const log = await call(first.port, 'GET', `/api/v2/webhooks/${id}/deliveries`, first.token);
      const attempts = (log.body as { data: { error: string | null }[] }).data;
      if (attempts.length >= 2) {
        expect(attempts.every((a) => a.error?.includes('ECONNREFUSED'))).toBe(true);
        break;
      }
      await sleep(200);
    }
    server?.kill('SIGKILL');
    await first.exited;

    const receiver = await WebhookReceiver.start(receiverPort);
    try {
      await startServer();
      await receiver.until((r) => new Set(r.map((x) => x.headers['webhook-id'])).size >= 3, 120_000);
      const bodies = receiver.received.map(
        (r) =>
          new Webhook(secret).verify(r.body, {
            'webhook-id': String(r.headers['webhook-id']),
            'webhook-timestamp': String(r.headers['webhook-timestamp']),
            'webhook-signature': String(r.headers['webhook-signature']),
          }) as { type: string; data: { after: { email: string } } },
      );
      expect(bodies.map((b) => [b.type, b.data.after.email])).toEqual([
        ['person.create', 'crash1@example.com'],
        ['person.create', 'crash2@example.com'],
        ['person.create', 'crash3@example.com'],
      ]);
    } finally {
      await receiver.close();
    }
  }, 240_000);
});
