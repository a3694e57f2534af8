import { bearer, createTestApp, ISO, problem, UUID, type TestApp } from '../support/test-app.js';

const ada = { email: 'Ada.Lovelace@Example.com', firstName: 'Ada', lastName: 'Lovelace' };

function personBody(overrides: Record<string, unknown> = {}) {
  return {
    id: UUID,
    email: ada.email,
    firstName: 'Ada',
    lastName: 'Lovelace',
    displayName: null,
    externalId: null,
    organization: null,
    business: null,
    department: null,
    group: null,
    team: null,
    managerId: null,
    managerEmail: null,
    validFrom: null,
    validTo: null,
    active: true,
    createdAt: ISO,
    updatedAt: ISO,
    ...overrides,
  };
}

describe('People API (Opsera dialect)', () => {
  let t: TestApp;
  let auth: Record<string, string>;

  beforeAll(async () => {
    t = await createTestApp();
    auth = bearer(t.tokens.powerUser);
  });
  afterAll(() => t.close());
  beforeEach(() => t.sql('truncate person cascade'));

  const create = (body: Record<string, unknown>) => t.http().post('/api/v2/data/people').set(auth).send(body);

  describe('POST /api/v2/data/people', () => {
    it('creates a person, answers 201 with Location and stores the email as sent', async () => {
      const res = await create({ ...ada, department: 'Platform' });
      expect(res.status).toBe(201);
      expect(res.headers['location']).toBe('/api/v2/data/people/Ada.Lovelace%40Example.com');
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual(personBody({ department: 'Platform' }));
      const rows = await t.sql('select email, first_name, department from person');
      expect(rows).toEqual([{ email: 'Ada.Lovelace@Example.com', first_name: 'Ada', department: 'Platform' }]);
    });

    it('accepts the older Opsera field names as aliases', async () => {
      const res = await create({ ...ada, business_group: 'Eng', applicationdepartment: 'Platform', projectgroup: 'Runtime' });
      expect(res.status).toBe(201);
      expect(res.body).toEqual(personBody({ business: 'Eng', department: 'Platform', group: 'Runtime' }));
    });

    it('refuses an alias that contradicts its current name, naming the alias', async () => {
      const res = await create({ ...ada, business: 'Eng', business_group: 'Sales' });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(
        problem(400, 'validation-error', { errors: [{ field: 'business_group', message: expect.stringContaining('alias of business') }] }),
      );
    });

    it('lists every missing required field', async () => {
      const res = await create({});
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      const fields = (res.body.errors as { field: string }[]).map((e) => e.field);
      expect([...new Set(fields)].sort()).toEqual(['email', 'firstName', 'lastName']);
    });

    it('rejects unknown fields and server-managed fields by name, writing nothing', async () => {
      const res = await create({ ...ada, id: '0b9f5f8e-1f5e-4c7a-9a61-1ed3c6e1d8a2', createdAt: '2020-01-01T00:00:00Z', nickname: 'x' });
      expect(res.status).toBe(400);
      expect((res.body.errors as { field: string }[]).map((e) => e.field).sort()).toEqual(['createdAt', 'id', 'nickname']);
      expect(await t.sql('select count(*)::int as n from person')).toEqual([{ n: 0 }]);
    });

    it('rejects an invalid email, an over-long name and a NUL byte with 400', async () => {
      expect((await create({ ...ada, email: 'not-an-email' })).body.errors).toEqual([
        { field: 'email', message: 'must be a valid email address' },
      ]);
      expect((await create({ ...ada, firstName: 'x'.repeat(101) })).status).toBe(400);
      const nul = await create({ ...ada, lastName: 'Love\u0000lace' });
      expect(nul.status).toBe(400);
      expect(nul.body.errors).toEqual([{ field: 'lastName', message: 'must not contain NUL characters' }]);
    });

    it('answers 409 for a duplicate email in another case', async () => {
      expect((await create(ada)).status).toBe(201);
      const res = await create({ ...ada, email: 'ADA.LOVELACE@example.COM' });
      expect(res.status).toBe(409);
      expect(res.body).toEqual(problem(409, 'conflict'));
    });

    it('gives exactly one 201 and nineteen 409 for 20 parallel creates of one email in mixed case', async () => {
      const variants = Array.from({ length: 20 }, (_, i) => (i % 2 ? ada.email.toUpperCase() : ada.email.toLowerCase()));
      const results = await Promise.all(variants.map((email) => create({ ...ada, email })));
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([201, ...Array(19).fill(409)]);
      expect(await t.sql('select count(*)::int as n from person')).toEqual([{ n: 1 }]);
    });

    it('refuses validTo before validFrom', async () => {
      const res = await create({ ...ada, validFrom: '2025-01-02T00:00:00Z', validTo: '2025-01-01T00:00:00Z' });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ field: 'validTo', message: 'must be later than validFrom' }]);
    });
  });

  describe('GET /api/v2/data/people/{email}', () => {
    it('finds a person case-insensitively and returns the stored case', async () => {
      await create(ada);
      const res = await t.http().get('/api/v2/data/people/ada.lovelace@example.com').set(bearer(t.tokens.viewer));
      expect(res.status).toBe(200);
      expect(res.body).toEqual(personBody());
    });

    it('answers 400 "Invalid email format" and 404 for an unknown email', async () => {
      const bad = await t.http().get('/api/v2/data/people/not-an-email').set(auth);
      expect(bad.status).toBe(400);
      expect(bad.body.errors).toEqual([{ field: 'email', message: 'Invalid email format' }]);
      const missing = await t.http().get('/api/v2/data/people/nobody@example.com').set(auth);
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual(problem(404, 'not-found'));
    });

    it('answers inactive people too, with active false', async () => {
      await create({ ...ada, validTo: '2020-01-01T00:00:00.000Z' });
      const res = await t.http().get(`/api/v2/data/people/${ada.email}`).set(auth);
      expect(res.body).toEqual(personBody({ validTo: '2020-01-01T00:00:00.000Z', active: false }));
    });
  });

  describe('PUT /api/v2/data/people/{email}', () => {
    it('updates only the fields sent', async () => {
      await create({ ...ada, team: 'Compilers' });
      const res = await t.http().put(`/api/v2/data/people/${ada.email}`).set(auth).send({ department: 'Research' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(personBody({ team: 'Compilers', department: 'Research' }));
    });

    it('answers 409 when the email is changed to a taken one, 404 for an unknown person', async () => {
      await create(ada);
      await create({ ...ada, email: 'grace@example.com', firstName: 'Grace' });
      const taken = await t.http().put('/api/v2/data/people/grace@example.com').set(auth).send({ email: 'ADA.lovelace@example.com' });
      expect(taken.status).toBe(409);
      const missing = await t.http().put('/api/v2/data/people/none@example.com').set(auth).send({ team: 'x' });
      expect(missing.status).toBe(404);
    });

    it('refuses null for a required field', async () => {
      await create(ada);
      const res = await t.http().put(`/api/v2/data/people/${ada.email}`).set(auth).send({ firstName: null });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ field: 'firstName', message: 'must not be null' }]);
    });
  });

  describe('DELETE /api/v2/data/people/{email}', () => {
    it('deletes a person without related entities: 204, row gone', async () => {
      await create(ada);
      const res = await t.http().delete(`/api/v2/data/people/${ada.email.toUpperCase()}`).set(auth);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect(await t.sql('select count(*)::int as n from person')).toEqual([{ n: 0 }]);
    });

    it('historicizes instead of deleting with historicize=true', async () => {
      await create(ada);
      const res = await t.http().delete(`/api/v2/data/people/${ada.email}?historicize=1`).set(auth);
      expect(res.status).toBe(204);
      expect(await t.sql("select valid_to <= now() and valid_to > now() - interval '1 minute' as ended from person")).toEqual([
        { ended: true },
      ]);
      const list = await t.http().get('/api/v2/data/people').set(auth);
      expect(list.body).toEqual({ count: 0, data: [] });
    });

    it('rejects a malformed force value', async () => {
      await create(ada);
      const res = await t.http().delete(`/api/v2/data/people/${ada.email}?force=maybe`).set(bearer(t.tokens.admin));
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ field: 'force', message: 'must be true, false, 1 or 0' }]);
    });
  });

  describe('GET /api/v2/data/people (list)', () => {
    beforeEach(async () => {
      for (let i = 1; i <= 5; i++) {
        await create({ email: `p${i}@example.com`, firstName: `F${i}`, lastName: i % 2 ? 'Odd' : 'Even', team: i <= 2 ? 'A' : 'B' });
      }
      await create({ email: 'old@example.com', firstName: 'Old', lastName: 'Timer', validTo: '2021-01-01T00:00:00Z' });
    });

    it('pages with headers and a Link header, sorted with id as tiebreaker', async () => {
      const res = await t.http().get('/api/v2/data/people?per-page=2&page=2&sort=lastName,-firstName').set(auth);
      expect(res.status).toBe(200);
      expect(res.headers['x-pagination-current-page']).toBe('2');
      expect(res.headers['x-pagination-page-count']).toBe('3');
      expect(res.headers['x-pagination-per-page']).toBe('2');
      expect(res.headers['x-pagination-total-count']).toBe('5');
      // Issue 10: next carries a keyset cursor besides its page number (test/e2e/people-cursor.e2e-spec.ts).
      const link = res.headers['link'].replace(/&cursor=[A-Za-z0-9_-]+>; rel="next"/, '&cursor=C>; rel="next"');
      expect(link).toBe(
        '</api/v2/data/people?per-page=2&page=1&sort=lastName%2C-firstName>; rel="first", ' +
          '</api/v2/data/people?per-page=2&page=1&sort=lastName%2C-firstName>; rel="prev", ' +
          '</api/v2/data/people?per-page=2&page=3&sort=lastName%2C-firstName&cursor=C>; rel="next", ' +
          '</api/v2/data/people?per-page=2&page=3&sort=lastName%2C-firstName>; rel="last"',
      );
      expect(res.body.count).toBe(5);
      expect(res.body.data.map((p: { firstName: string }) => p.firstName)).toEqual(['F5', 'F3']);
    });

    it('filters by team and by substring, and hides inactive people unless history=true', async () => {
      const team = await t.http().get('/api/v2/data/people?team=A').set(auth);
      expect(team.body.data.map((p: { email: string }) => p.email).sort()).toEqual(['p1@example.com', 'p2@example.com']);
      const q = await t.http().get('/api/v2/data/people?q=TIMER&history=true').set(auth);
      expect(q.body.count).toBe(1);
      expect(q.body.data[0]).toMatchObject({ email: 'old@example.com', active: false });
      const all = await t.http().get('/api/v2/data/people?history=true').set(auth);
      expect(all.body.count).toBe(6);
    });

    it('answers an empty page past the last one', async () => {
      const res = await t.http().get('/api/v2/data/people?page=9').set(auth);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ count: 5, data: [] });
    });

    it.each([
      ['per-page=0', 'per-page'],
      ['per-page=1001', 'per-page'],
      ['page=0', 'page'],
      ['page=abc', 'page'],
      ['history=maybe', 'history'],
      ['sort=salary', 'sort'],
      ['colour=red', 'colour'],
    ])('answers 400 naming the parameter for %s', async (query, field) => {
      const res = await t.http().get(`/api/v2/data/people?${query}`).set(auth);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(problem(400, 'validation-error', { errors: expect.arrayContaining([expect.objectContaining({ field })]) }));
    });
  });
});
