import type { Response } from 'supertest';
import { SiteRole } from '../../src/common/auth/site-roles.js';
import { orgFactories, type OrgFactories } from '../support/org-factories.js';
import { SideConnection } from '../support/side-connection.js';
import { bearer, createTestApp, problem, type TestApp } from '../support/test-app.js';

/** The review's expensive read: the deepest page, history, every sort field of org-person. */
const DEEP_INDEX = {
  'per-page': 1000,
  page: 1_000_000,
  history: true,
  sort: 'org_person_id,-person_id,org_unit_id,org_role_id,-person_first_name,person_last_name,org_unit_name,-org_role_name',
};

async function seed(f: OrgFactories): Promise<{ email: string; unit: string; role: string }> {
  const email = 'reserve@example.com';
  const person = await f.person({ email });
  const unit = await f.unit({ name: 'Reserve' });
  const role = await f.role({ name: 'Keeper' });
  await f.assignment({ person_id: person, org_unit_id: unit, org_role_id: role });
  return { email, unit, role };
}

function expectServiceUnavailable(res: Response): void {
  expect(res.status).toBe(503);
  expect(res.headers['retry-after']).toBe('5');
  expect(res.body).toEqual(problem(503, 'service-unavailable'));
}

/** Contract section 8: cost, not only count. */
describe('Database load: expensive reads cannot take the service down', () => {
  describe('a reserve of pool connections (DB_POOL_MAX=4: expensive reads get 2)', () => {
    let t: TestApp;
    let side: SideConnection;
    let data: Awaited<ReturnType<typeof seed>>;

    beforeAll(async () => {
      t = await createTestApp({ DB_POOL_MAX: '4', DB_ACQUIRE_TIMEOUT_MS: '1500' });
      side = SideConnection.open(t);
      data = await seed(orgFactories(t));
    });
    afterAll(async () => {
      await side.close();
      await t.close();
    });

    it("40 parallel deep-page Viewer indexes leave an Administrator's lookups by id and email, and readiness, answering 200", async () => {
      const viewers = await Promise.all(Array.from({ length: 5 }, (_, i) => t.createToken(SiteRole.Viewer, { name: `viewer ${i}` })));
      const tokenId = viewers[0].id;
      const admin = bearer(t.tokens.admin);
      // Every expensive read blocks on this lock until it is released: slow, deterministically.
      const lock = await side.lock('org_person');
      const reads = viewers.flatMap((viewer) =>
        Array.from({ length: 8 }, () =>
          t
            .http()
            .post('/v2/org-person/index')
            .set(bearer(viewer.token))
            .send(DEEP_INDEX)
            .then((r) => r),
        ),
      );
      let lookups: Response[];
      let waiting: number;
      try {
        await SideConnection.until(async () => (await side.appSessionsWaitingOnLocks()) >= 2, 10_000, 'expensive reads waiting');
        lookups = [];
        for (const path of [
          `/api/v2/data/people/${data.email.toUpperCase()}`,
          `/v2/org-unit/view/${data.unit}`,
          `/v2/org-role/view?id=${data.role}`,
          `/api/v2/tokens/${tokenId}`,
          '/health/ready',
        ]) {
          lookups.push(await t.http().get(path).set(admin));
        }
        waiting = await side.appSessionsWaitingOnLocks();
      } finally {
        await lock.release();
      }
      expect(lookups.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      // Never more than DB_POOL_MAX - 2 connections for them, even with 38 more waiting.
      expect(waiting).toBe(2);
      expect(lookups[0].body).toMatchObject({ email: data.email });
      expect(lookups[1].body).toMatchObject({ org_unit_id: data.unit });
      expect(lookups[2].body).toMatchObject({ org_role_id: data.role });
      expect(lookups[3].body).toMatchObject({ id: tokenId, name: 'viewer 0' });
      expect(lookups[4].body).toEqual({ status: 'ok', database: 'up' });

      // The reads themselves: answered (the queue's wait is bounded by DB_ACQUIRE_TIMEOUT_MS), never a 500.
      const answered = await Promise.all(reads);
      const statuses = answered.map((r) => r.status);
      expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(2);
      for (const res of answered.filter((r) => r.status === 503)) expectServiceUnavailable(res);
      for (const res of answered.filter((r) => r.status === 200)) {
        expect(res.body).toEqual([]);
        expect(res.headers['x-pagination-total-count']).toBe('1');
      }
      // Everything is given back: the next read runs at once.
      const after = await t.http().post('/v2/org-person/index').set(bearer(viewers[0].token)).send({});
      expect(after.status).toBe(200);
      expect(after.body).toHaveLength(1);
    });
  });

  describe('TOKEN_CONCURRENCY=3', () => {
    let t: TestApp;
    let side: SideConnection;
    let data: Awaited<ReturnType<typeof seed>>;

    beforeAll(async () => {
      t = await createTestApp({ TOKEN_CONCURRENCY: '3' });
      side = SideConnection.open(t);
      data = await seed(orgFactories(t));
    });
    afterAll(async () => {
      await side.close();
      await t.close();
    });

    it("answers a token's fourth expensive read in flight 429 at once; lookups, writes and other tokens are not counted", async () => {
      const viewer = await t.createToken(SiteRole.Viewer, { name: 'busy viewer' });
      const powerUser = await t.createToken(SiteRole.PowerUser, { name: 'busy writer' });
      const lock = await side.lock('org_person');
      let refused: Response[];
      let others: Response[];
      let running: Promise<Response>[];
      try {
        running = [
          ...Array.from({ length: 2 }, () =>
            t
              .http()
              .post('/v2/org-person/index')
              .set(bearer(viewer.token))
              .send({})
              .then((r) => r),
          ),
          t
            .http()
            .post('/v2/org-person/index')
            .set(bearer(powerUser.token))
            .send({})
            .then((r) => r),
          t
            .http()
            .post('/v2/org-person/index')
            .set(bearer(viewer.token))
            .send(DEEP_INDEX)
            .then((r) => r),
        ];
        await SideConnection.until(async () => (await side.appSessionsWaitingOnLocks()) >= 4, 10_000, 'four reads in flight');
        const started = Date.now();
        refused = [
          await t.http().post('/v2/org-person/index').set(bearer(viewer.token)).send({}),
          await t.http().get('/api/v2/data/people').set(bearer(viewer.token)),
          await t.http().post('/v2/org-unit/index').set(bearer(viewer.token)).send({}),
        ];
        expect(Date.now() - started).toBeLessThan(1_000);
        others = [
          await t.http().get(`/api/v2/data/people/${data.email}`).set(bearer(viewer.token)),
          await t.http().get(`/v2/org-unit/view/${data.unit}`).set(bearer(viewer.token)),
          await t.http().get('/api/v2/data/people').set(bearer(t.tokens.viewer)),
          await t.http().post('/v2/org-role/create').set(bearer(powerUser.token)).send({ name: 'Written meanwhile' }),
        ];
      } finally {
        await lock.release();
      }
      for (const res of refused) {
        expect(res.status).toBe(429);
        expect(res.headers['retry-after']).toBe('1');
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.body).toEqual(
          problem(429, 'too-many-concurrent-reads', {
            title: 'Too many concurrent reads',
            detail: 'This token already has 3 lists or indexes in progress; wait for one to finish, then retry.',
          }),
        );
      }
      expect(others.map((r) => r.status)).toEqual([200, 200, 200, 201]);
      expect((await Promise.all(running)).map((r) => r.status)).toEqual([200, 200, 200, 200]);
      // Finished reads give their slots back.
      const again = await Promise.all(
        Array.from({ length: 3 }, () => t.http().post('/v2/org-unit/index').set(bearer(viewer.token)).send({})),
      );
      expect(again.map((r) => r.status)).toEqual([200, 200, 200]);
    });
  });

  describe('count and page in one statement (DB_POOL_MAX=1)', () => {
    let t: TestApp;
    let side: SideConnection;

    beforeAll(async () => {
      // One connection, and a short wait for it: a list that needed a second connection while its
      // first one waits would get none and fail.
      t = await createTestApp({ DB_POOL_MAX: '1', DB_ACQUIRE_TIMEOUT_MS: '300' });
      side = SideConnection.open(t);
      await seed(orgFactories(t));
    });
    afterAll(async () => {
      await side.close();
      await t.close();
    });

    it.each([
      ['org-unit index', 'org_unit', () => ({ method: 'post', path: '/v2/org-unit/index', body: { 'per-page': 1 } })],
      ['org-role index', 'org_role', () => ({ method: 'post', path: '/v2/org-role/index', body: { 'per-page': 1 } })],
      ['org-person index', 'org_person', () => ({ method: 'post', path: '/v2/org-person/index', body: { 'per-page': 1 } })],
      ['people list', 'person', () => ({ method: 'get', path: '/api/v2/data/people?per-page=1', body: undefined })],
    ] as const)('the %s counts and pages on one connection, also while its statement waits', async (_name, table, route) => {
      const { method, path, body } = route();
      const lock = await side.lock(table);
      const pending = (method === 'post' ? t.http().post(path).send(body) : t.http().get(path)).set(bearer(t.tokens.viewer)).then((r) => r);
      try {
        await SideConnection.until(async () => (await side.appSessionsWaitingOnLocks()) === 1, 10_000, 'the list waiting');
        await new Promise((resolve) => setTimeout(resolve, 600)); // twice the acquire timeout
      } finally {
        await lock.release();
      }
      const res = await pending;
      expect(res.status).toBe(200);
      expect(res.headers['x-pagination-total-count']).toBe('1');
      expect(res.headers['x-pagination-page-count']).toBe('1');
      expect(method === 'post' ? res.body : res.body.data).toHaveLength(1);
    });
  });
});
