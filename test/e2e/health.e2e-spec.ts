import { createTestApp, type TestApp } from '../support/test-app.js';

describe('Health probes', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('answers liveness with 200 {status: ok} without a token', async () => {
    const res = await t.http().get('/health/live');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({ status: 'ok' });
    expect(res.headers['x-request-id']).toEqual(expect.any(String));
  });

  it('answers readiness with 200 {status: ok, database: up} without a token', async () => {
    const res = await t.http().get('/health/ready');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({ status: 'ok', database: 'up' });
  });

  it('never asks for credentials on the probes', async () => {
    for (const path of ['/health/live', '/health/ready']) {
      const res = await t.http().get(path);
      expect([path, res.headers['www-authenticate']]).toEqual([path, undefined]);
    }
  });

  it('answers 404 for an unknown probe', async () => {
    const res = await t.http().get('/health/startup');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});
