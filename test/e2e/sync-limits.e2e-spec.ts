import { bearer, createTestApp, problem, type TestApp } from '../support/test-app.js';

/** SYNC_BODY_LIMIT_BYTES (contract section 12): its own app, with a small limit. */
describe('Bulk sync body limit', () => {
  let small: TestApp;

  beforeAll(async () => {
    small = await createTestApp({ SYNC_BODY_LIMIT_BYTES: '2048' });
  });
  afterAll(() => small.close());

  it('answers 413 past SYNC_BODY_LIMIT_BYTES and stores nothing', async () => {
    const jobs = await small.sql<{ n: number }>('select count(*)::int as n from sync_job');
    const people = Array.from({ length: 100 }, (_, i) => ({ email: `p${i}@example.com`, firstName: 'P', lastName: 'Q' }));
    const res = await small.http().post('/api/v2/sync/jobs').set(bearer(small.tokens.admin)).send({ people });
    expect(res.status).toBe(413);
    expect(res.body).toEqual(problem(413, 'payload-too-large'));
    expect(await small.sql('select count(*)::int as n from sync_job')).toEqual(jobs);
  });
});
