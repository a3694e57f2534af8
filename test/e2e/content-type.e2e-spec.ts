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

  // An empty id (trailing slash, no id) is an unknown route: the same 404 problem as any other, whatever
  // the Content-Type, decided before the body is parsed (the fuzz tier found a 415 there), and nothing written.
  describe.each(['org-unit', 'org-role', 'org-person'])('%s with an empty id in the path', (resource) => {
    const routes = [
      ['POST', `/v2/${resource}/historicize/`],
      ['PUT', `/v2/${resource}/update/`],
      ['DELETE', `/v2/${resource}/delete/`],
      ['GET', `/v2/${resource}/view/`],
    ] as const;
    const contentTypes = [undefined, 'application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/xml'];
    it.each(routes)('answers %s %s with the 404 of an unknown route under every Content-Type', async (method, path) => {
      for (const contentType of contentTypes) {
        for (const role of ['powerUser', 'viewer'] as const) {
          let req = t.http()[method === 'POST' ? 'post' : method === 'PUT' ? 'put' : method === 'DELETE' ? 'delete' : 'get'](path);
          req = req.set(bearer(t.tokens[role]));
          if (contentType !== undefined)
            req = req.set('Content-Type', contentType).send(contentType.endsWith('json') ? '{"name":"x"}' : 'name=x');
          const res = await req;
          const label = `${method} ${path} (${contentType ?? 'no body'}, ${role})`;
          expect({ label, status: res.status, type: res.headers['content-type'] }).toEqual({
            label,
            status: 404,
            type: 'application/problem+json; charset=utf-8',
          });
          expect(res.body).toEqual({ ...problem(404, 'not-found'), detail: `No route for ${method} ${path}`, instance: path });
        }
      }
      const unknown = await t
        .http()
        .post(`/v2/${resource}/nosuch/`)
        .set(bearer(t.tokens.powerUser))
        .set('Content-Type', 'text/plain')
        .send('x');
      expect(unknown.status).toBe(404);
      expect(unknown.body).toEqual({
        ...problem(404, 'not-found'),
        detail: `No route for POST /v2/${resource}/nosuch/`,
        instance: `/v2/${resource}/nosuch/`,
      });
      expect(
        await t.sql('select (select count(*) from org_unit) + (select count(*) from org_role) + (select count(*) from org_person) as n'),
      ).toEqual([{ n: '0' }]);
    });
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
