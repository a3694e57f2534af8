import { request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { ServerFixture, type StartedServer } from './support/server.js';

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

/** One GET on a fresh connection that the client destroys after `ms` milliseconds, as a load generator's timeout does. */
function getAbandonedAfter(port: number, path: string, token: string, ms: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: false, headers: { Authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.end();
    setTimeout(() => req.destroy(), ms);
  });
}

/** Contract section 8 / issue: SIGTERM under load finishes what was accepted, refuses the rest, closes sessions. */
describe('Graceful shutdown on SIGTERM', () => {
  let fixture: ServerFixture;

  beforeAll(async () => {
    fixture = await ServerFixture.start('shutdown');
  }, 400_000);

  afterAll(() => fixture?.close(), 60_000);

  /** The built server with a 15 s grace and `env`, ready; its token never on standard output. */
  async function startServer(env: Record<string, string>): Promise<StartedServer> {
    const started = await fixture.startServer({ SHUTDOWN_GRACE_MS: '15000', ...env });
    expect(started.output()).not.toContain(started.token);
    return started;
  }

  const sql = <T = Record<string, unknown>>(query: string) => fixture.sql<T>(query);

  it('finishes accepted requests, refuses new connections, closes its sessions and exits 0 within the grace period', async () => {
    // Ten lists of one token in flight below, above the default of 8 on purpose.
    const { port, token, exited } = await startServer({ TOKEN_CONCURRENCY: '16' });

    // Park requests in flight: they wait on a table lock held by the spec for 2 s.
    const lock = sql('do $$ begin lock table person in access exclusive mode; perform pg_sleep(2); end $$');
    await sleep(300);
    const inFlight = Array.from({ length: 10 }, () => get(port, '/api/v2/data/people', token));
    await sleep(500);
    const activeBefore = await sql<{ n: number }>(
      "select count(*)::int as n from pg_stat_activity where application_name = 'organigram' and wait_event_type = 'Lock'",
    );
    expect(activeBefore[0].n).toBeGreaterThan(0);

    const sigterm = Date.now();
    fixture.server?.kill('SIGTERM');
    await sleep(200);
    const late = await get(port, '/api/v2/data/people', token);
    expect(late).toEqual({ error: 'ECONNREFUSED' });

    await lock;
    const finished = await Promise.all(inFlight);
    expect(finished).toEqual(Array.from({ length: 10 }, () => ({ status: 200 })));

    expect(await exited).toBe(0);
    expect(Date.now() - sigterm).toBeLessThan(15_000);
    const sessions = await sql<{ n: number }>("select count(*)::int as n from pg_stat_activity where application_name = 'organigram'");
    expect(sessions).toEqual([{ n: 0 }]);
  }, 120_000);

  it('answers every request queued behind a small pool when SIGTERM arrives with 200 or 503, never a 500', async () => {
    // Two pooled connections, a long acquire timeout: most of the requests below wait in the pool's queue.
    const { port, token, exited } = await startServer({ DB_POOL_MAX: '2', DB_ACQUIRE_TIMEOUT_MS: '10000' });
    await sql(
      "insert into person (id, email, first_name, last_name, created_at, updated_at) values (gen_random_uuid(), 'queued@example.com', 'Queued', 'Person', now(), now()) on conflict do nothing",
    );

    // The two connections block on a lock held by the spec for 2 s; the others queue for a connection.
    const lock = sql('do $$ begin lock table person in access exclusive mode; perform pg_sleep(2); end $$');
    await sleep(300);
    const queued = Array.from({ length: 30 }, () => get(port, '/api/v2/data/people/queued%40example.com', token));
    await sleep(700);
    fixture.server?.kill('SIGTERM');

    await lock;
    const outcomes = await Promise.all(queued);
    const statuses = outcomes.map((o) => o.status ?? o.error);
    expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
    expect(statuses).toContain(200);
    expect(await exited).toBe(0);
  }, 120_000);

  it('answers requests still queued when their clients gave up with 503 (logged as database unavailable or refused while shutting down), never a 500', async () => {
    // The load generator's timeout closed every connection while the requests waited for one of two
    // pooled connections: the HTTP server, with no connection left, closes at once and the ORM with it;
    // the handlers still queued then reach for a connection of a closed pool, or (on a busy machine,
    // not yet authenticated) the retired bearer strategy. Whether any handler is at that point when
    // the application closes is a race: up to three rounds, until one is.
    let reachedClosedApp = 0;
    let seen: Record<string, number> = {};
    for (let round = 0; round < 3 && reachedClosedApp === 0; round++) {
      const { port, token, exited, output } = await startServer({
        DB_POOL_MAX: '2',
        DB_ACQUIRE_TIMEOUT_MS: '10000',
        TOKEN_CONCURRENCY: '1000',
      });
      const abandoned = Array.from({ length: 200 }, (_, i) => getAbandonedAfter(port, `/api/v2/data/people?page=${i + 1}`, token, 300));
      await sleep(320);
      fixture.server?.kill('SIGTERM');
      await Promise.all(abandoned);
      expect(await exited).toBe(0);

      const lines = output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { msg?: string; error?: string; err?: { message?: string; stack?: string } });
      // The whole error, stack included, so that a failure here says where it came from.
      expect(lines.filter((l) => l.msg === 'unhandled error').map((l) => l.err)).toEqual([]);
      reachedClosedApp = lines.filter((l) => l.msg === 'database unavailable' || l.msg === 'refused while shutting down').length;
      seen = {};
      for (const l of lines) seen[`${l.msg} ${l.error ?? ''}`.trim()] = (seen[`${l.msg} ${l.error ?? ''}`.trim()] ?? 0) + 1;
    }
    // The case was really exercised: handlers did reach the closed application, and were answered 503
    // (what the last round logged is shown when they did not).
    expect({ exercised: reachedClosedApp > 0, seen }).toEqual({ exercised: true, seen: expect.anything() });
  }, 180_000);
});
