import { SiteRole } from '../../src/common/auth/site-roles.js';
import { generateToken } from '../../src/common/auth/token-format.js';
import { bearer, createTestApp, problem, type TestApp } from '../support/test-app.js';

describe('Rate limiting per token', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_ENABLED: 'true', RATE_LIMIT: '5', RATE_LIMIT_WINDOW_MS: '60000' });
  });
  afterAll(() => t.close());

  it('counts down X-RateLimit-Remaining, then answers 429 with Retry-After and the limit headers', async () => {
    const { token } = await t.createToken(SiteRole.Viewer);
    for (let i = 1; i <= 5; i++) {
      const res = await t.http().get('/api/v2/data/people').set(bearer(token));
      expect(res.status).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBe('5');
      expect(res.headers['x-ratelimit-remaining']).toBe(String(5 - i));
      expect(Number(res.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
    }
    const limited = await t.http().get('/api/v2/data/people').set(bearer(token));
    expect(limited.status).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(limited.body).toEqual(problem(429, 'rate-limited'));
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.headers['x-ratelimit-limit']).toBe('5');
    expect(limited.headers['x-ratelimit-remaining']).toBe('0');
    expect(Number(limited.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
  });

  it('keeps a separate budget per token', async () => {
    const [a, b] = await Promise.all([t.createToken(SiteRole.Viewer), t.createToken(SiteRole.Viewer)]);
    for (let i = 0; i < 6; i++) await t.http().get('/api/v2/data/people').set(bearer(a.token));
    const other = await t.http().get('/api/v2/data/people').set(bearer(b.token));
    expect(other.status).toBe(200);
    expect(other.headers['x-ratelimit-remaining']).toBe('4');
  });

  it('answers a burst of random tokens with 401 without touching the budget of a real caller', async () => {
    const { token } = await t.createToken(SiteRole.Viewer);
    const burst = await Promise.all(Array.from({ length: 60 }, () => t.http().get('/api/v2/data/people').set(bearer(generateToken()))));
    expect(new Set(burst.map((r) => r.status))).toEqual(new Set([401]));
    const real = await t.http().get('/api/v2/data/people').set(bearer(token));
    expect(real.status).toBe(200);
    expect(real.headers['x-ratelimit-remaining']).toBe('4');
  });

  it('never limits the health endpoints', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => t.http().get('/health/live')));
    expect(new Set(results.map((r) => r.status))).toEqual(new Set([200]));
    expect(results[0].headers['x-ratelimit-limit']).toBeUndefined();
  });
});
