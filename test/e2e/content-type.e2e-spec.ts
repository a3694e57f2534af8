import { bearer, createTestApp, problem, type TestApp } from '../support/test-app.js';

describe('Request bodies are JSON only', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it.each([
    ['application/x-www-form-urlencoded', 'name=formunit'],
    ['text/plain', 'name=formunit'],
  ])('answers 415 to a %s body and writes nothing', async (contentType, body) => {
    const res = await t.http().post('/v2/org-unit/create').set(bearer(t.tokens.powerUser)).set('Content-Type', contentType).send(body);
    expect(res.status).toBe(415);
    expect(res.body).toEqual(problem(415, 'unsupported-media-type'));
    expect(await t.sql('select count(*)::int as n from org_unit')).toEqual([{ n: 0 }]);
  });

  it('refuses a token lifetime past 10 years (and so past TOKEN_MAX_TTL) with 400 naming expiresIn, never a database error', async () => {
    const res = await t
      .http()
      .post('/api/v2/tokens')
      .set(bearer(t.tokens.admin))
      .send({ name: 'long', role: 'Viewer', expiresIn: '999999w' });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { field: 'expiresIn', message: 'must be a duration such as 30d, 12h or 15m, at most 365d (TOKEN_MAX_TTL)' },
    ]);
  });

  it('refuses a date that an offset pushes past the year 9999 with 400', async () => {
    const res = await t
      .http()
      .post('/v2/org-unit/create')
      .set(bearer(t.tokens.powerUser))
      .send({ name: 'Late', valid_to: '9999-12-31T23:59:59.999-14:00' });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field: 'valid_to', message: expect.stringContaining('ISO 8601') }]);
  });
});
