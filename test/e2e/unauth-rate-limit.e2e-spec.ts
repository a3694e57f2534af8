import { MikroORM } from '@mikro-orm/postgresql';
import { SiteRole } from '../../src/common/auth/site-roles.js';
import { generateToken } from '../../src/common/auth/token-format.js';
import { bearer, createTestApp, problem, type TestApp } from '../support/test-app.js';

const PEOPLE = '/api/v2/data/people';
const LIMIT = 5;

/** Counts the statements the app sends to PostgreSQL (every query goes through the one Connection). */
function countQueries(t: TestApp): { readonly count: number; restore(): void } {
  const connection = t.app.get(MikroORM).em.getConnection() as unknown as { execute: (...args: unknown[]) => unknown };
  const original = connection.execute;
  const counter = {
    count: 0,
    restore: () => {
      connection.execute = original;
    },
  };
  connection.execute = function (this: unknown, ...args: unknown[]) {
    counter.count++;
    return original.apply(this, args);
  };
  return counter;
}

describe('Unauthenticated requests are limited per client address (contract section 8)', () => {
  describe('behind a trusted proxy (TRUST_PROXY=true: the address is X-Forwarded-For)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ RATE_LIMIT_ENABLED: 'true', RATE_LIMIT: '1000', UNAUTH_RATE_LIMIT: String(LIMIT), TRUST_PROXY: 'true' });
    });
    afterAll(() => t.close());

    it('answers forged tokens 401 up to the budget, then 429 before any database work', async () => {
      const from = { 'X-Forwarded-For': '203.0.113.7' };
      const queries = countQueries(t);
      try {
        for (let i = 1; i <= LIMIT; i++) {
          // Checksum-valid, unknown: each of these costs one lookup.
          const res = await t.http().get(PEOPLE).set(from).set(bearer(generateToken()));
          expect(res.status).toBe(401);
          expect(res.body).toEqual(problem(401, 'unauthorized', { instance: PEOPLE }));
          expect(res.headers['x-ratelimit-limit']).toBe(String(LIMIT));
          expect(res.headers['x-ratelimit-remaining']).toBe(String(LIMIT - i));
        }
        expect(queries.count).toBe(LIMIT);
        const limited = [
          await t.http().get(PEOPLE).set(from).set(bearer(generateToken())),
          await t.http().get(PEOPLE).set(from),
          await t.http().post('/v2/org-unit/index').set(from).set(bearer(generateToken())).send({}),
        ];
        for (const res of limited) {
          expect(res.status).toBe(429);
          expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
          expect(res.body).toEqual(problem(429, 'rate-limited', { title: 'Too many requests', instance: res.body.instance }));
          expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
          expect(res.headers['x-ratelimit-limit']).toBe(String(LIMIT));
          expect(res.headers['x-ratelimit-remaining']).toBe('0');
          expect(Number(res.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
        }
        // The 429s cost no statement at all.
        expect(queries.count).toBe(LIMIT);
      } finally {
        queries.restore();
      }
    });

    it('leaves other addresses, and callers with valid tokens, their own budgets', async () => {
      const attacker = { 'X-Forwarded-For': '198.51.100.1' };
      const { token } = await t.createToken(SiteRole.Viewer);
      // The token authenticates once from the attacker's address before the burst.
      const before = await t.http().get(PEOPLE).set(attacker).set(bearer(token));
      expect(before.status).toBe(200);
      expect(before.headers['x-ratelimit-limit']).toBe('1000');
      for (let i = 0; i < LIMIT + 3; i++) await t.http().get(PEOPLE).set(attacker).set(bearer(generateToken()));
      expect((await t.http().get(PEOPLE).set(attacker)).status).toBe(429);

      // Another address: its own budget.
      const neighbour = await t.http().get(PEOPLE).set('X-Forwarded-For', '198.51.100.2');
      expect(neighbour.status).toBe(401);
      expect(neighbour.headers['x-ratelimit-remaining']).toBe(String(LIMIT - 1));
      // A valid token from another address: its token budget, untouched by the address limits.
      const other = await t.http().get(PEOPLE).set('X-Forwarded-For', '198.51.100.3').set(bearer(t.tokens.admin));
      expect(other.status).toBe(200);
      expect(other.headers['x-ratelimit-limit']).toBe('1000');
      // The token that authenticated recently keeps working even from the exhausted address.
      const same = await t.http().get(PEOPLE).set(attacker).set(bearer(token));
      expect(same.status).toBe(200);
      expect(same.headers['x-ratelimit-limit']).toBe('1000');
    });

    it('does not charge authenticated requests to their address', async () => {
      const from = { 'X-Forwarded-For': '192.0.2.50' };
      for (let i = 0; i < LIMIT * 2; i++) {
        const res = await t.http().get(PEOPLE).set(from).set(bearer(t.tokens.viewer));
        expect(res.status).toBe(200);
      }
      const anonymous = await t.http().get(PEOPLE).set(from);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers['x-ratelimit-remaining']).toBe(String(LIMIT - 1));
    });

    it('never limits the health endpoints', async () => {
      const from = { 'X-Forwarded-For': '192.0.2.99' };
      const results = await Promise.all(Array.from({ length: LIMIT * 3 }, () => t.http().get('/health/live').set(from)));
      expect(new Set(results.map((r) => r.status))).toEqual(new Set([200]));
    });
  });

  describe('without a trusted proxy (the default)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ RATE_LIMIT_ENABLED: 'true', UNAUTH_RATE_LIMIT: String(LIMIT) });
    });
    afterAll(() => t.close());

    it('keys on the connection address: a forged X-Forwarded-For does not buy a fresh budget', async () => {
      for (let i = 0; i < LIMIT; i++) {
        const res = await t.http().get(PEOPLE).set('X-Forwarded-For', `10.0.0.${i}`);
        expect(res.status).toBe(401);
      }
      const res = await t.http().get(PEOPLE).set('X-Forwarded-For', '10.0.1.1');
      expect(res.status).toBe(429);
      expect(res.body).toEqual(problem(429, 'rate-limited', { instance: PEOPLE }));
    });
  });
});
