import type { Response } from 'supertest';
import { SiteRole } from '../../src/common/auth/site-roles.js';
import { orgFactories } from '../support/org-factories.js';
import { scimError } from '../support/scim-error.js';
import { SideConnection } from '../support/side-connection.js';
import { bearer, createTestApp, type TestApp } from '../support/test-app.js';

const USERS = '/scim/v2/Users';
const SCIM_JSON = 'application/scim+json; charset=utf-8';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

/** Contract sections 8 and 13.1: SCIM lists and filters are expensive reads; reads by id are not. */
describe('SCIM 2.0 Users under load: lists count as expensive reads (contract sections 8, 13.1, 13.7)', () => {
  describe('a reserve of pool connections (DB_POOL_MAX=4: expensive reads get 2)', () => {
    let t: TestApp;
    let side: SideConnection;
    let personId: string;

    beforeAll(async () => {
      t = await createTestApp({ DB_POOL_MAX: '4', DB_ACQUIRE_TIMEOUT_MS: '1500' });
      side = SideConnection.open(t);
      personId = await orgFactories(t).person({ email: 'reserve@example.com' });
    });
    afterAll(async () => {
      await side.close();
      await t.close();
    });

    it('answers the lists that find no connection in time 503 in the SCIM error body with Retry-After; reads by id still answer', async () => {
      const tokens = await Promise.all(Array.from({ length: 2 }, () => t.createToken(SiteRole.Viewer, { scopes: ['scim'] })));
      const filter = `?filter=${encodeURIComponent('userName eq "reserve@example.com"')}`;
      // Every list blocks on this lock until it is released: two hold the expensive reads' connections,
      // the others wait for one past DB_ACQUIRE_TIMEOUT_MS.
      const lock = await side.lock('person');
      const reads = tokens.flatMap((token) =>
        Array.from({ length: 5 }, (_, i) =>
          t
            .http()
            .get(i % 2 === 0 ? USERS : `${USERS}${filter}`)
            .set(bearer(token.token))
            .then((r) => r),
        ),
      );
      let byId: Response;
      let waiting: number;
      try {
        await SideConnection.until(async () => (await side.appSessionsWaitingOnLocks()) >= 2, 10_000, 'SCIM lists waiting');
        // A read by id is not an expensive read: it finds a connection of the reserve (and waits on the lock like any read).
        const pendingById = t
          .http()
          .get(`${USERS}/${personId}`)
          .set(bearer(tokens[0].token))
          .then((r) => r);
        await SideConnection.until(async () => (await side.appSessionsWaitingOnLocks()) >= 3, 10_000, 'the read by id waiting');
        waiting = await side.appSessionsWaitingOnLocks();
        // Past the acquire timeout, so the queued lists have given up.
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        await lock.release();
        byId = await pendingById;
      } finally {
        await lock.release();
      }
      // Never more than DB_POOL_MAX - 2 connections for the lists, plus the read by id.
      expect(waiting).toBe(3);
      expect(byId.status).toBe(200);
      expect(byId.body).toMatchObject({ id: personId, userName: 'reserve@example.com' });

      const answered = await Promise.all(reads);
      const statuses = answered.map((r) => r.status);
      expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
      expect(statuses.filter((s) => s === 200)).toHaveLength(2);
      expect(statuses.filter((s) => s === 503)).toHaveLength(8);
      for (const res of answered.filter((r) => r.status === 503)) {
        expect(res.headers['content-type']).toBe(SCIM_JSON);
        expect(res.headers['retry-after']).toBe('5');
        expect(res.body).toEqual(scimError(503));
      }
      for (const res of answered.filter((r) => r.status === 200)) {
        expect(res.body).toEqual({ schemas: [LIST], totalResults: 1, itemsPerPage: 1, startIndex: 1, Resources: [expect.any(Object)] });
      }
      // Everything is given back: the next list runs at once.
      const after = await t.http().get(USERS).set(bearer(tokens[0].token));
      expect(after.status).toBe(200);
      expect(after.body.totalResults).toBe(1);
    });
  });

  describe('TOKEN_CONCURRENCY=2', () => {
    let t: TestApp;
    let side: SideConnection;
    let personId: string;

    beforeAll(async () => {
      t = await createTestApp({ TOKEN_CONCURRENCY: '2' });
      side = SideConnection.open(t);
      personId = await orgFactories(t).person({ email: 'busy@example.com' });
    });
    afterAll(async () => {
      await side.close();
      await t.close();
    });

    it("answers a token's third SCIM list in flight 429 in the SCIM error body at once; reads by id are not counted", async () => {
      const token = await t.createToken(SiteRole.PowerUser, { scopes: ['scim'] });
      const scim = bearer(token.token);
      const lock = await side.lock('person');
      let refused: Response[];
      let running: Promise<Response>[];
      try {
        running = Array.from({ length: 2 }, () =>
          t
            .http()
            .get(USERS)
            .set(scim)
            .then((r) => r),
        );
        await SideConnection.until(async () => (await side.appSessionsWaitingOnLocks()) >= 2, 10_000, 'two lists in flight');
        const started = Date.now();
        refused = [
          await t.http().get(USERS).set(scim),
          await t
            .http()
            .get(`${USERS}?filter=${encodeURIComponent('userName eq "busy@example.com"')}`)
            .set(scim),
        ];
        expect(Date.now() - started).toBeLessThan(1_000);
      } finally {
        await lock.release();
      }
      for (const res of refused) {
        expect(res.status).toBe(429);
        expect(res.headers['content-type']).toBe(SCIM_JSON);
        expect(res.headers['retry-after']).toBe('1');
        expect(res.body).toEqual(
          scimError(429, undefined, 'This token already has 2 lists or indexes in progress; wait for one to finish, then retry.'),
        );
      }
      expect((await Promise.all(running)).map((r) => r.status)).toEqual([200, 200]);
      // Reads by id are not counted, even with both slots taken (the lists above are done now; take them again).
      const again = await side.lock('person');
      try {
        const busy = Array.from({ length: 2 }, () =>
          t
            .http()
            .get(USERS)
            .set(scim)
            .then((r) => r),
        );
        await SideConnection.until(async () => (await side.appSessionsWaitingOnLocks()) >= 2, 10_000, 'two lists in flight again');
        const byId = t
          .http()
          .get(`${USERS}/${personId}`)
          .set(scim)
          .then((r) => r);
        await SideConnection.until(async () => (await side.appSessionsWaitingOnLocks()) >= 3, 10_000, 'the read by id admitted');
        await again.release();
        expect((await byId).status).toBe(200);
        expect((await Promise.all(busy)).map((r) => r.status)).toEqual([200, 200]);
      } finally {
        await again.release();
      }
    });
  });
});
