import { setTimeout as sleep } from 'node:timers/promises';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { createApp } from '../../src/app.setup.js';
import { SiteRole } from '../../src/common/auth/site-roles.js';
import { REVOCATION_WINDOW_MS, TokenCacheService } from '../../src/tokens/token-cache.js';
import { bearer, createTestApp, type TestApp } from '../support/test-app.js';

const TOKENS = '/api/v2/tokens';
const PEOPLE = '/api/v2/data/people';

/**
 * Issue 10: authentication caches token rows, and revocation stays as the contract has it: the very
 * next request on the instance that revoked, within one second on every other instance (two
 * application instances on one database here), whoever revokes (the API, an operator's SQL) and
 * even when an instance's notification connection is cut.
 */
describe('token cache and revocation across instances', () => {
  let a: TestApp;
  let b: NestFastifyApplication;
  const onB = () => request(b.getHttpServer());

  beforeAll(async () => {
    a = await createTestApp();
    b = await createApp(a.config, a.url);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  /** Milliseconds until `token` is refused on instance B (polled every 20 ms), or Infinity after 3 s. */
  async function refusedOnBAfter(token: string, since: number): Promise<number> {
    while (Date.now() - since < 3_000) {
      const res = await onB().get(PEOPLE).set(bearer(token));
      if (res.status === 401) return Date.now() - since;
      expect(res.status).toBe(200);
      await sleep(20);
    }
    return Infinity;
  }

  /** A new Viewer token, authenticated once on each instance, so both have it cached. */
  async function cachedEverywhere(name: string): Promise<{ id: string; token: string }> {
    const created = await a.createToken(SiteRole.Viewer, { name });
    expect((await a.http().get(PEOPLE).set(bearer(created.token))).status).toBe(200);
    expect((await onB().get(PEOPLE).set(bearer(created.token))).status).toBe(200);
    return created;
  }

  it('authenticates a token again from the cache, without its row changing', async () => {
    const { token } = await cachedEverywhere('cached');
    const cache = b.get(TokenCacheService).cache;
    const size = cache.size;
    expect(size).toBeGreaterThan(0);
    expect((await onB().get(PEOPLE).set(bearer(token))).status).toBe(200);
    expect(cache.size).toBe(size);
  });

  it('each instance authenticates with its own cache (passport has one registry per process: each application registers its own strategy)', async () => {
    const cacheOfA = a.app.get(TokenCacheService).cache;
    const cacheOfB = b.get(TokenCacheService).cache;
    const before = { a: cacheOfA.size, b: cacheOfB.size };
    const { token } = await a.createToken(SiteRole.Viewer, { name: 'on a only' });
    expect((await a.http().get(PEOPLE).set(bearer(token))).status).toBe(200);
    expect({ a: cacheOfA.size, b: cacheOfB.size }).toEqual({ a: before.a + 1, b: before.b });
    expect((await onB().get(PEOPLE).set(bearer(token))).status).toBe(200);
    expect({ a: cacheOfA.size, b: cacheOfB.size }).toEqual({ a: before.a + 1, b: before.b + 1 });
  });

  it('a revocation through the API refuses the very next request on that instance, and on the other within 1 s', async () => {
    const { id, token } = await cachedEverywhere('revoked by api');
    const revoked = await a.http().delete(`${TOKENS}/${id}`).set(bearer(a.tokens.admin));
    const answeredAt = Date.now();
    expect(revoked.status).toBe(204);
    expect((await a.http().get(PEOPLE).set(bearer(token))).status).toBe(401);
    expect(await refusedOnBAfter(token, answeredAt)).toBeLessThan(REVOCATION_WINDOW_MS);
  });

  it('a revocation by SQL (an operator, another tool) is refused within 1 s on both instances', async () => {
    const { id, token } = await cachedEverywhere('revoked by sql');
    await a.sql('update api_token set revoked_at = now() where id = ?', [id]);
    const committedAt = Date.now();
    expect(await refusedOnBAfter(token, committedAt)).toBeLessThan(REVOCATION_WINDOW_MS);
    expect((await a.http().get(PEOPLE).set(bearer(token))).status).toBe(401);
  });

  it('an expiry moved into the past by SQL is refused within 1 s', async () => {
    const { id, token } = await cachedEverywhere('expired by sql');
    await a.sql("update api_token set expires_at = now() - interval '1 second' where id = ?", [id]);
    expect(await refusedOnBAfter(token, Date.now())).toBeLessThan(REVOCATION_WINDOW_MS);
  });

  it('still refuses within 1 s when the notification connections were cut just before the revocation', async () => {
    const { id, token } = await cachedEverywhere('revoked while deaf');
    const cut = await a.sql<{ n: number }>(
      "select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where application_name = 'organigram-listener' and datname = current_database()",
    );
    expect(cut[0].n).toBeGreaterThanOrEqual(2);
    await a.sql('update api_token set revoked_at = now() where id = ?', [id]);
    expect(await refusedOnBAfter(token, Date.now())).toBeLessThan(REVOCATION_WINDOW_MS);
    // The listeners come back by themselves, and the cache serves live tokens again.
    await sleep(1_500);
    const live = await cachedEverywhere('after reconnect');
    expect((await onB().get(PEOPLE).set(bearer(live.token))).status).toBe(200);
    const listeners = await a.sql<{ n: number }>(
      "select count(*)::int as n from pg_stat_activity where application_name = 'organigram-listener' and datname = current_database()",
    );
    expect(listeners[0].n).toBeGreaterThanOrEqual(2);
  });
});
