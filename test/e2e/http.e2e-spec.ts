import type { Response } from 'supertest';
import { bearer, createTestApp, problem, type TestApp } from '../support/test-app.js';
import { expectCleanProblem, leaksIn } from '../support/leaks.js';

const PEOPLE = '/api/v2/data/people';
const UUID_V4ISH = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ada = { email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace' };

function nestedObject(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = { x: value };
  return value;
}

describe('HTTP behaviour: request ids, errors, limits', () => {
  let t: TestApp;
  let auth: Record<string, string>;

  beforeAll(async () => {
    t = await createTestApp();
    auth = bearer(t.tokens.admin);
  });
  afterAll(() => t.close());
  beforeEach(() => t.sql('truncate person cascade'));

  describe('X-Request-Id', () => {
    it('generates a UUID when the client sends none', async () => {
      const a = await t.http().get('/health/live');
      const b = await t.http().get('/health/live');
      expect(a.headers['x-request-id']).toMatch(UUID_V4ISH);
      expect(b.headers['x-request-id']).toMatch(UUID_V4ISH);
      expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
    });

    it('echoes a well-formed client id on success and in the error body', async () => {
      const ok = await t.http().get('/health/live').set('X-Request-Id', 'client-42.abc:1');
      expect(ok.headers['x-request-id']).toBe('client-42.abc:1');
      const failed = await t.http().get(PEOPLE).set('X-Request-Id', 'trace_0001');
      expect(failed.status).toBe(401);
      expect(failed.headers['x-request-id']).toBe('trace_0001');
      expect(failed.body.requestId).toBe('trace_0001');
    });

    it.each([
      ['contains spaces', 'has spaces in it'],
      ['is 300 characters long', 'a'.repeat(300)],
      ['contains a header-injection attempt', 'abc\u00e9<script>'],
    ])('replaces a client id that %s with a generated UUID', async (_label, id) => {
      const res = await t.http().get(PEOPLE).set('X-Request-Id', id);
      expect(res.headers['x-request-id']).toMatch(UUID_V4ISH);
      expect(res.body.requestId).toBe(res.headers['x-request-id']);
      expect(res.text).not.toContain(id);
    });

    it('repeats the generated id as requestId in every error body', async () => {
      const res = await t.http().get(`${PEOPLE}/not-an-email`).set(auth);
      expect(res.status).toBe(400);
      expect(res.body.requestId).toMatch(UUID_V4ISH);
      expect(res.body.requestId).toBe(res.headers['x-request-id']);
    });
  });

  describe('CORS', () => {
    it('exposes the pagination headers, Link, Location and X-Request-Id to browsers', async () => {
      const res = await t.http().get(PEOPLE).set(auth).set('Origin', 'https://app.example.com');
      expect(res.status).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      const exposed = String(res.headers['access-control-expose-headers'])
        .split(',')
        .map((h) => h.trim().toLowerCase());
      expect(exposed).toEqual(
        expect.arrayContaining([
          'x-pagination-current-page',
          'x-pagination-page-count',
          'x-pagination-per-page',
          'x-pagination-total-count',
          'link',
          'location',
          'x-request-id',
        ]),
      );
    });

    it('answers a preflight for the Authorization header without a token', async () => {
      const res = await t
        .http()
        .options(PEOPLE)
        .set('Origin', 'https://app.example.com')
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'authorization,content-type');
      expect(res.status).toBeLessThan(300);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(String(res.headers['access-control-allow-methods'])).toMatch(/POST/);
    });
  });

  describe('problem responses', () => {
    it('answers an unknown route with a 404 problem', async () => {
      const res = await t.http().get('/api/v2/nothing-here').set(auth);
      expectCleanProblem(res, 404);
      expect(res.body).toEqual(problem(404, 'not-found', { title: 'Not found', instance: '/api/v2/nothing-here' }));
      expect(res.body.requestId).toBe(res.headers['x-request-id']);
    });

    it('answers an unsupported method on a known path with a 404 or 405 problem', async () => {
      const res = await t.http().patch(PEOPLE).set(auth).send({});
      expect([404, 405]).toContain(res.status);
      expectCleanProblem(res, res.status);
    });

    it('answers a body over 1 MiB with a 413 problem and writes nothing', async () => {
      const big = { ...ada, displayName: 'x'.repeat(1024 * 1024 + 10) };
      const res = await t.http().post(PEOPLE).set(auth).set('Content-Type', 'application/json').send(JSON.stringify(big));
      expectCleanProblem(res, 413);
      expect(res.body).toEqual(problem(413, 'payload-too-large', { title: 'Payload too large', instance: PEOPLE }));
      expect(await t.sql('select count(*)::int as n from person')).toEqual([{ n: 0 }]);
    });

    it('answers invalid JSON with a 400 problem', async () => {
      const res = await t.http().post(PEOPLE).set(auth).set('Content-Type', 'application/json').send('{"email": "ada@example.com",');
      expectCleanProblem(res, 400);
      expect(res.body).toEqual(problem(400, 'bad-request', { instance: PEOPLE }));
      expect(res.body.detail).toMatch(/JSON/);
    });

    it('answers a body nested 40 levels deep with a 400 problem', async () => {
      const res = await t
        .http()
        .post(PEOPLE)
        .set(auth)
        .send({ ...ada, team: nestedObject(40) });
      expectCleanProblem(res, 400);
      expect(res.body).toEqual(
        problem(400, 'validation-error', { errors: [{ field: expect.stringMatching(/^team/), message: expect.stringMatching(/nested/) }] }),
      );
      expect(await t.sql('select count(*)::int as n from person')).toEqual([{ n: 0 }]);
    });

    it('answers a text/plain body with a 400 or 415 problem, writing nothing', async () => {
      const res = await t.http().post(PEOPLE).set(auth).set('Content-Type', 'text/plain').send('email=ada@example.com');
      expect([400, 415]).toContain(res.status);
      expectCleanProblem(res, res.status);
      expect(await t.sql('select count(*)::int as n from person')).toEqual([{ n: 0 }]);
    });

    it('answers an unknown content type with a 415 problem', async () => {
      const res = await t.http().post(PEOPLE).set(auth).set('Content-Type', 'application/xml').send('<person/>');
      expectCleanProblem(res, 415);
      expect(res.body).toEqual(problem(415, 'unsupported-media-type', { title: 'Unsupported media type', instance: PEOPLE }));
    });
  });

  describe('hostile input never becomes a 500', () => {
    it.each([
      ["' OR '1'='1"],
      ["ada@example.com' OR 1=1--"],
      ["x'; DROP TABLE person;--@example.com"],
      ['"ada"@example.com'],
      ['%27%20OR%201%3D1'],
    ])('answers GET /people/{email} with %p as 400 or 404', async (email) => {
      const res = await t
        .http()
        .get(`${PEOPLE}/${encodeURIComponent(email)}`)
        .set(auth);
      expect([400, 404]).toContain(res.status);
      expectCleanProblem(res, res.status);
    });

    it.each([
      ["email=' OR '1'='1", 200],
      ["q=%' OR 1=1 --", 200],
      ['q=%25_%5C', 200],
      ['sort=lastName;DROP TABLE person', 400],
      ["sort=email') OR 1=1--", 400],
      ['sort=-', 400],
      ['sort=id', 400],
      ['externalId=' + 'x'.repeat(10_000), 400],
    ])('answers the list query %p without a 500', async (query, status) => {
      await t.http().post(PEOPLE).set(auth).send(ada).expect(201);
      const res = await t.http().get(`${PEOPLE}?${query}`).set(auth);
      expect(res.status).toBe(status);
      if (status === 200) expect(res.body).toEqual({ count: 0, data: [] });
      else expectCleanProblem(res, status);
      expect(await t.sql('select count(*)::int as n from person')).toEqual([{ n: 1 }]);
    });

    it('stores an SQL-looking value literally', async () => {
      const name = "Robert'); DROP TABLE person;--";
      const res = await t
        .http()
        .post(PEOPLE)
        .set(auth)
        .send({ ...ada, firstName: name });
      expect(res.status).toBe(201);
      expect(await t.sql('select first_name from person')).toEqual([{ first_name: name }]);
    });

    it('answers 400 for a wrongly typed field rather than a database error', async () => {
      const res = await t
        .http()
        .post(PEOPLE)
        .set(auth)
        .send({ ...ada, team: { $ne: null } });
      expectCleanProblem(res, 400);
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'team' })]));
    });
  });

  it('never leaks SQL, stack traces or server file paths in any error body', async () => {
    const responses: [string, Response][] = [
      ['no token', await t.http().get(PEOPLE)],
      ['bad token', await t.http().get(PEOPLE).set(bearer('ogm_x'))],
      ['unknown route', await t.http().get('/nope/nope').set(auth)],
      ['invalid JSON', await t.http().post(PEOPLE).set(auth).set('Content-Type', 'application/json').send('{')],
      ['empty JSON', await t.http().post(PEOPLE).set(auth).set('Content-Type', 'application/json').send('')],
      ['validation', await t.http().post(PEOPLE).set(auth).send({ email: 'nope' })],
      [
        'NUL byte',
        await t
          .http()
          .post(PEOPLE)
          .set(auth)
          .send({ ...ada, lastName: 'a\u0000b' }),
      ],
      [
        'deep nesting',
        await t
          .http()
          .post(PEOPLE)
          .set(auth)
          .send({ ...ada, team: nestedObject(40) }),
      ],
      ['bad sort', await t.http().get(`${PEOPLE}?sort=lastName;drop`).set(auth)],
      ['bad page', await t.http().get(`${PEOPLE}?page=-1`).set(auth)],
      [
        'bad email',
        await t
          .http()
          .get(`${PEOPLE}/${encodeURIComponent("' OR 1=1--")}`)
          .set(auth),
      ],
      ['unknown person', await t.http().get(`${PEOPLE}/nobody@example.com`).set(auth)],
      ['bad token id', await t.http().get('/api/v2/tokens/x').set(auth)],
      ['bad force', await t.http().delete(`${PEOPLE}/ada@example.com?force=maybe`).set(auth)],
    ];
    for (const [label, res] of responses) {
      expect([label, res.status >= 400 && res.status < 500, leaksIn(res)]).toEqual([label, true, []]);
      expect([label, res.headers['content-type']]).toEqual([label, expect.stringMatching(/^application\/problem\+json/)]);
    }
  });
});
