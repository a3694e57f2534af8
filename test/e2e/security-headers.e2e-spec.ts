import { bearer, createTestApp, type TestApp } from '../support/test-app.js';

describe('Security headers and CORS', () => {
  describe('with the default configuration', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp();
    });
    afterAll(() => t.close());

    it('sends helmet headers and no X-Powered-By on API, error and health answers', async () => {
      for (const res of [
        await t.http().get('/api/v2/data/people').set(bearer(t.tokens.viewer)),
        await t.http().get('/api/v2/data/people'),
        await t.http().get('/health/live'),
      ]) {
        expect(res.headers['x-powered-by']).toBeUndefined();
        expect(res.headers['x-content-type-options']).toBe('nosniff');
        expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
        expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
        expect(res.headers['referrer-policy']).toBe('no-referrer');
        expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      }
    });

    it('answers a preflight without Origin with an empty 204, not a text/plain error', async () => {
      const res = await t.http().options('/api/v2/data/people');
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
    });

    it('allows any origin without credentials, never reflecting the origin', async () => {
      const res = await t.http().get('/api/v2/data/people').set(bearer(t.tokens.viewer)).set('Origin', 'https://evil.example');
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    });
  });

  describe('with an explicit origin list', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ CORS_ORIGINS: 'https://app.example.com' });
    });
    afterAll(() => t.close());

    it('answers a listed origin and ignores any other, never with credentials', async () => {
      const listed = await t.http().get('/health/live').set('Origin', 'https://app.example.com');
      expect(listed.headers['access-control-allow-origin']).toBe('https://app.example.com');
      expect(listed.headers['access-control-allow-credentials']).toBeUndefined();
      const other = await t.http().get('/health/live').set('Origin', 'https://evil.example');
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    });
  });
});
