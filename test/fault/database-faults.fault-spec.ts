import { setTimeout as sleep } from 'node:timers/promises';
import type { Response } from 'supertest';
import { FaultEnv } from './support/fault-env.js';

const HOOK_MS = 60_000;
const TEST_MS = 120_000;

/** A fault scenario: restarts and timeouts need far more than Jest's default 5 s. */
const scenario = (name: string, fn: () => Promise<void>) => it(name, fn, TEST_MS);

const PROBLEM_503 = {
  type: 'https://organigram.dev/problems/service-unavailable',
  title: 'Service unavailable',
  status: 503,
  detail: expect.any(String),
  instance: expect.any(String),
  requestId: expect.any(String),
};

function expectUnavailable(res: Response, route: string): void {
  expect({ route, status: res.status }).toEqual({ route, status: 503 });
  expect(res.headers['retry-after']).toBe('3');
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toEqual(PROBLEM_503);
  expect(JSON.stringify(res.body)).not.toMatch(/ECONNREFUSED|select |at .*\.js|terminat/i);
}

/** Contract section 8: database faults answer 503 with Retry-After, and the service heals by itself. */
describe('Database faults', () => {
  describe('database down, crashed, sessions terminated', () => {
    let env: FaultEnv;
    const email = 'fault@example.com';

    beforeAll(async () => {
      // 30 parallel lists of one token below: above the default TOKEN_CONCURRENCY on purpose.
      env = await FaultEnv.start({ TOKEN_CONCURRENCY: '64' });
      const res = await env.http().post('/api/v2/data/people').set(env.auth()).send({ email, firstName: 'F', lastName: 'Ault' });
      expect(res.status).toBe(201);
    }, HOOK_MS);
    afterAll(() => env.close(), HOOK_MS);

    const routes = (): [string, () => Promise<Response>][] => [
      ['list people', () => env.http().get('/api/v2/data/people').set(env.auth())],
      ['view person', () => env.http().get(`/api/v2/data/people/${email}`).set(env.auth())],
      [
        'create person',
        () => env.http().post('/api/v2/data/people').set(env.auth()).send({ email: 'x@example.com', firstName: 'X', lastName: 'Y' }),
      ],
      ['delete person', () => env.http().delete(`/api/v2/data/people/${email}`).set(env.auth())],
      ['org-unit index', () => env.http().post('/v2/org-unit/index').set(env.auth()).send({})],
      [
        'org-person create',
        () =>
          env
            .http()
            .post('/v2/org-person/create')
            .set(env.auth())
            .send({ person_id: crypto.randomUUID(), org_unit_id: crypto.randomUUID() }),
      ],
      ['list tokens', () => env.http().get('/api/v2/tokens').set(env.auth())],
      ['readiness', () => env.http().get('/health/ready')],
    ];

    async function expectAllUnavailable(): Promise<void> {
      for (const [route, call] of routes()) {
        const started = Date.now();
        expectUnavailable(await call(), route);
        expect(Date.now() - started).toBeLessThan(5_000);
      }
      // Liveness does not depend on the database; a malformed token needs no lookup and stays a 401.
      expect((await env.http().get('/health/live')).status).toBe(200);
      expect((await env.http().get('/api/v2/data/people').set({ Authorization: 'Bearer ogm_wrong' })).status).toBe(401);
    }

    async function expectRecovered(): Promise<number> {
      const took = await FaultEnv.until(async () => (await env.http().get('/health/ready')).status === 200, 20_000);
      const res = await env.http().get(`/api/v2/data/people/${email}`).set(env.auth());
      expect(res.status).toBe(200);
      return took;
    }

    scenario(
      'answers 503 on every route, authentication included, while the database is stopped, then recovers without a restart',
      async () => {
        await env.db.stop();
        await expectAllUnavailable();
        await env.db.restart();
        expect(await expectRecovered()).toBeLessThan(10_000);
      },
    );

    scenario('survives an immediate-mode crash of the database', async () => {
      await env.crashDatabase();
      await expectAllUnavailable();
      await env.db.restart();
      expect(await expectRecovered()).toBeLessThan(10_000);
    });

    scenario('survives the termination of its sessions under load and leaks no connection', async () => {
      for (let round = 0; round < 5; round++) {
        const load = Promise.all(Array.from({ length: 30 }, () => env.http().get('/api/v2/data/people').set(env.auth())));
        await sleep(20);
        await env.terminateAppSessions();
        const statuses = (await load).map((r) => r.status);
        expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
      }
      await expectRecovered();
      for (let i = 0; i < 20; i++) expect((await env.http().get('/api/v2/data/people').set(env.auth())).status).toBe(200);
      // Background work (the change-log dispatcher, retention, key purges) borrows a connection for a
      // few milliseconds now and then; a leaked one stays checked out for good. So: settle for up to 3 s.
      const settled = async () => {
        const pool = await env.poolStats();
        const sessions = await env.sql<{ state: string | null; n: number }>(
          "select state, count(*)::int as n from pg_stat_activity where application_name = 'organigram' group by state",
        );
        return { pool, busy: sessions.filter((s) => s.state !== 'idle') };
      };
      let state = await settled();
      for (let i = 0; i < 30 && (state.pool.total - state.pool.idle > 0 || state.busy.length > 0); i++) {
        await sleep(100);
        state = await settled();
      }
      expect(state.pool.total - state.pool.idle).toBe(0); // nothing checked out and never returned
      expect(state.pool.waiting).toBe(0);
      expect(state.pool.total).toBeLessThanOrEqual(env.config.database.poolMax);
      expect(state.busy).toEqual([]);
    });
  });

  describe('pool exhausted and statements past their timeouts', () => {
    let env: FaultEnv;

    beforeAll(async () => {
      env = await FaultEnv.start({
        DB_POOL_MAX: '2',
        DB_ACQUIRE_TIMEOUT_MS: '500',
        DB_STATEMENT_TIMEOUT_MS: '20000',
        DB_LOCK_TIMEOUT_MS: '20000',
      });
    });
    afterAll(() => env.close());

    scenario('answers 503 when no connection frees up within the acquire timeout, and 200 again afterwards', async () => {
      const lock = holdPersonLockInTransaction(env, 2_500);
      await sleep(300);
      const results = await Promise.all(Array.from({ length: 8 }, () => env.http().get('/api/v2/data/people').set(env.auth())));
      await lock;
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
      expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
      for (const res of results.filter((r) => r.status === 503)) expectUnavailable(res, 'people list under an exhausted pool');
      expect((await env.http().get('/api/v2/data/people').set(env.auth())).status).toBe(200);
    });
  });

  describe.each([
    ['statement_timeout', { DB_STATEMENT_TIMEOUT_MS: '400', DB_LOCK_TIMEOUT_MS: '20000' }],
    ['lock_timeout', { DB_STATEMENT_TIMEOUT_MS: '20000', DB_LOCK_TIMEOUT_MS: '400' }],
  ])('a statement past its %s', (name, settings) => {
    let env: FaultEnv;
    beforeAll(async () => {
      env = await FaultEnv.start(settings);
    }, HOOK_MS);
    afterAll(() => env.close(), HOOK_MS);

    scenario('is answered 503 with Retry-After promptly on a lookup, and the next request succeeds', async () => {
      const lock = holdPersonLockInTransaction(env, 2_000);
      await sleep(300);
      const started = Date.now();
      const res = await env.http().get('/api/v2/data/people/nobody@example.com').set(env.auth());
      expectUnavailable(res, 'person lookup behind a lock');
      expect(Date.now() - started).toBeLessThan(1_500);
      await lock;
      expect((await env.http().get('/api/v2/data/people/nobody@example.com').set(env.auth())).status).toBe(404);
    });

    scenario(
      name === 'statement_timeout'
        ? 'is a 503 query-too-expensive without Retry-After on a list (narrow the filter), and the next request succeeds'
        : 'is a 503 with Retry-After on a list too (waiting for a lock is not the query’s cost)',
      async () => {
        const lock = holdPersonLockInTransaction(env, 2_000);
        await sleep(300);
        const started = Date.now();
        const res = await env.http().get('/api/v2/data/people').set(env.auth());
        if (name === 'statement_timeout') {
          expect(res.status).toBe(503);
          expect(res.headers['retry-after']).toBeUndefined();
          expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
          expect(res.body).toEqual({
            ...PROBLEM_503,
            type: 'https://organigram.dev/problems/query-too-expensive',
            title: 'Query too expensive',
            detail:
              'The query did not finish within the statement timeout (400 ms): narrow the filter ' +
              '(more specific filters, a smaller page, fewer sort fields, no history) and try again.',
          });
        } else {
          expectUnavailable(res, 'people list behind a lock');
        }
        expect(Date.now() - started).toBeLessThan(1_500);
        await lock;
        expect((await env.http().get('/api/v2/data/people').set(env.auth())).status).toBe(200);
      },
    );
  });

  describe('a forced delete whose connection is killed midway', () => {
    let env: FaultEnv;
    beforeAll(async () => {
      env = await FaultEnv.start();
    }, HOOK_MS);
    afterAll(() => env.close(), HOOK_MS);

    scenario('leaves the database exactly as before, and a retry succeeds', async () => {
      const create = async (path: string, body: object, id: string) => {
        const res = await env.http().post(path).set(env.auth()).send(body);
        expect(res.status).toBe(201);
        return res.body[id] as string;
      };
      const root = await create('/v2/org-unit/create', { name: 'Root' }, 'org_unit_id');
      const units = [root];
      for (let i = 0; i < 20; i++)
        units.push(await create('/v2/org-unit/create', { name: `U${i}`, parent_org_unit_id: units[i % units.length] }, 'org_unit_id'));
      await create('/v2/org-unit/create', { name: 'slow', parent_org_unit_id: units[5] }, 'org_unit_id');
      for (let i = 0; i < 20; i++) {
        const person = await create('/api/v2/data/people', { email: `k${i}@example.com`, firstName: 'K', lastName: `${i}` }, 'id');
        await create('/v2/org-person/create', { person_id: person, org_unit_id: units[i] }, 'org_person_id');
      }
      const snapshot = async () => ({
        units: await env.sql('select id, parent_id, name from org_unit order by id'),
        assignments: await env.sql('select id, org_unit_id, person_id from org_person order by id'),
      });
      const before = await snapshot();
      // Deleting the unit named "slow" sleeps, after the assignments were already deleted in the same
      // transaction: the connection is killed right there.
      await env.sql(`create function fault_slow() returns trigger language plpgsql as $$
        begin if old.name = 'slow' then perform pg_sleep(30); end if; return old; end $$`);
      await env.sql('create trigger fault_slow before delete on org_unit for each row execute function fault_slow()');

      const deletion = env.http().delete(`/v2/org-unit/delete/${root}?force=true`).set(env.auth());
      const pending = deletion.then((r) => r);
      await FaultEnv.until(async () => {
        const rows = await env.sql<{ n: number }>(
          "select count(*)::int as n from pg_stat_activity where application_name = 'organigram' and query ilike 'delete from org_unit%' and state = 'active'",
        );
        return rows[0].n > 0;
      }, 10_000);
      expect(await env.terminateAppSessions()).toBeGreaterThan(0);
      const res = await pending;
      expectUnavailable(res, 'force delete killed midway');
      expect(await snapshot()).toEqual(before);

      await env.sql('drop trigger fault_slow on org_unit');
      await env.sql('drop function fault_slow()');
      const retry = await env.http().delete(`/v2/org-unit/delete/${root}?force=true`).set(env.auth());
      expect(retry.status).toBe(204);
      expect(await env.sql('select count(*)::int as n from org_unit')).toEqual([{ n: 0 }]);
      expect(await env.sql('select count(*)::int as n from org_person')).toEqual([{ n: 0 }]);
      // The killed transaction's client is not leaked (src/database/pool-guard.ts): nothing stays checked out.
      await FaultEnv.until(async () => {
        const pool = await env.poolStats();
        return pool.total === pool.idle;
      }, 10_000);
      const idleInTransaction = await env.sql("select count(*)::int as n from pg_stat_activity where state like 'idle in transaction%'");
      expect(idleInTransaction).toEqual([{ n: 0 }]);
    });
  });
});

/** Holds an ACCESS EXCLUSIVE lock on `person` in a transaction of the spec's own pool for `ms`. */
async function holdPersonLockInTransaction(env: FaultEnv, ms: number): Promise<void> {
  await env.sql(`do $$ begin lock table person in access exclusive mode; perform pg_sleep(${ms / 1000}); end $$`);
}
