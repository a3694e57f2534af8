import { bearer, createTestApp, type TestApp } from '../support/test-app.js';

const STRICT_CSP =
  "default-src 'self';script-src 'self';style-src 'self';img-src 'self' data:;font-src 'self';connect-src 'self';" +
  "object-src 'none';base-uri 'self';form-action 'self';frame-ancestors 'none';script-src-attr 'none'";
const SWAGGER_UI_CSP =
  "default-src 'self';script-src 'self' 'unsafe-inline';style-src 'self' 'unsafe-inline';img-src 'self' data:;font-src 'self';" +
  "connect-src 'self';object-src 'none';base-uri 'self';form-action 'self';frame-ancestors 'none'";

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

    it('sends the strict CSP, without unsafe-inline, on every response outside /docs', async () => {
      for (const res of [
        await t.http().get('/api/v2/data/people').set(bearer(t.tokens.viewer)),
        await t.http().post('/v2/org-unit/index').set(bearer(t.tokens.viewer)).send({ nope: 1 }),
        await t.http().get('/api/v2/data/people'),
        await t.http().get('/health/live'),
        await t.http().get('/no/such/route'),
        await t.http().get('/docs-json'),
        await t.http().get('/docsx'),
      ]) {
        expect(res.headers['content-security-policy']).toBe(STRICT_CSP);
      }
    });

    it('sends the loose CSP Swagger UI needs under /docs only', async () => {
      const page = await t.http().get('/docs');
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.headers['content-security-policy']).toBe(SWAGGER_UI_CSP);
      const asset = await t.http().get('/docs/swagger-ui-init.js');
      expect(asset.status).toBe(200);
      expect(asset.headers['content-security-policy']).toBe(SWAGGER_UI_CSP);
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
