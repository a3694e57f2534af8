import { bearer, createTestApp, ISO, problem, type TestApp } from '../support/test-app.js';
import { orgFactories, type OrgFactories } from '../support/org-factories.js';

/**
 * Contract section 4.1 on body values: `[]` (PHP's empty array) is "no fields" on 4HSE update,
 * historicize and index, and no other array is; `YYYY-MM-DD HH:MM:SS` and `YYYY-MM-DD` are read as
 * UTC wherever a date-time is accepted, and answered ISO 8601 with milliseconds and Z.
 */
describe('Inputs real clients send: [] bodies and 4HSE dates (contract 4.1)', () => {
  let t: TestApp;
  let f: OrgFactories;
  let write: Record<string, string>;

  beforeAll(async () => {
    t = await createTestApp();
    f = orgFactories(t);
    write = bearer(t.tokens.admin);
  });
  afterAll(() => t.close());
  beforeEach(() => t.sql('truncate org_person, org_unit, org_role, person cascade'));

  describe.each(['org-unit', 'org-role'])('%s', (resource) => {
    const create = (name: string) => (resource === 'org-unit' ? f.unit({ name }) : f.role({ name }));
    const table = resource.replace('-', '_');
    const idField = `${table}_id`;

    it('reads [] as {} on update: 200, nothing changes', async () => {
      const id = await create('Kept');
      const res = await t.http().put(`/v2/${resource}/update/${id}`).set(write).send([]);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(expect.objectContaining({ [idField]: id, name: 'Kept', valid_to: null }));
      expect(await t.sql(`select name, valid_to from ${table}`)).toEqual([{ name: 'Kept', valid_to: null }]);
    });

    it('reads [] as {} on historicize: valid_to is now', async () => {
      const id = await create('Ending');
      const res = await t.http().post(`/v2/${resource}/historicize/${id}`).set(write).send([]);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(expect.objectContaining({ [idField]: id, valid_to: ISO, owned_active: false }));
      expect(await t.sql(`select count(*)::int as n from ${table} where valid_to is not null`)).toEqual([{ n: 1 }]);
    });

    it('reads [] as {} on index: the first page with the default size', async () => {
      const id = await create('Listed');
      const res = await t.http().post(`/v2/${resource}/index`).set(write).send([]);
      expect(res.status).toBe(200);
      expect(res.body).toEqual([expect.objectContaining({ [idField]: id, name: 'Listed' })]);
      expect(res.headers['x-pagination-per-page']).toBe('100');
    });

    it.each([[[1]], [[{}]], [[[]]], [['name']], [[null]]])(
      'refuses any other array, %j, on update, historicize and index with 400',
      async (body) => {
        const id = await create('Untouched');
        const update = await t.http().put(`/v2/${resource}/update/${id}`).set(write).send(body);
        const historicize = await t.http().post(`/v2/${resource}/historicize/${id}`).set(write).send(body);
        const index = await t.http().post(`/v2/${resource}/index`).set(write).send(body);
        for (const res of [update, historicize, index]) {
          expect(res.status).toBe(400);
          expect(res.body).toEqual(
            problem(400, 'validation-error', { errors: [{ field: 'body', message: 'must be a JSON object ([] alone is read as {})' }] }),
          );
        }
        expect(await t.sql(`select name, valid_to from ${table}`)).toEqual([{ name: 'Untouched', valid_to: null }]);
      },
    );
  });

  it('refuses [] on create: a create needs its fields', async () => {
    const res = await t.http().post('/v2/org-unit/create').set(write).send([]);
    expect(res.status).toBe(400);
    expect(await t.sql('select count(*)::int as n from org_unit')).toEqual([{ n: 0 }]);
  });

  it('refuses [] on the Opsera update (not part of the 4HSE compatibility)', async () => {
    await t
      .http()
      .post('/api/v2/data/people')
      .set(write)
      .send({ email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace' })
      .expect(201);
    const res = await t.http().put('/api/v2/data/people/ada@example.com').set(write).send([]);
    expect(res.status).toBe(400);
  });

  it('reads 4HSE dates as UTC on a 4HSE create and answers them ISO with milliseconds', async () => {
    const res = await t
      .http()
      .post('/v2/org-unit/create')
      .set(write)
      .send({ name: 'Dated', valid_from: '2026-01-01', valid_to: '2026-12-02 03:29:45' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual(expect.objectContaining({ valid_from: '2026-01-01T00:00:00.000Z', valid_to: '2026-12-02T03:29:45.000Z' }));
    const [row] = await t.sql<{ valid_from: string; valid_to: string }>('select valid_from, valid_to from org_unit');
    expect([new Date(row.valid_from).toISOString(), new Date(row.valid_to).toISOString()]).toEqual([
      '2026-01-01T00:00:00.000Z',
      '2026-12-02T03:29:45.000Z',
    ]);
  });

  it('reads 4HSE dates as UTC on Opsera validFrom/validTo', async () => {
    const res = await t.http().post('/api/v2/data/people').set(write).send({
      email: 'grace@example.com',
      firstName: 'Grace',
      lastName: 'Hopper',
      validFrom: '2020-02-29 08:00:00',
      validTo: '2999-01-01',
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual(expect.objectContaining({ validFrom: '2020-02-29T08:00:00.000Z', validTo: '2999-01-01T00:00:00.000Z' }));
    const updated = await t.http().put('/api/v2/data/people/grace@example.com').set(write).send({ validTo: '2998-12-31 23:59:59' });
    expect(updated.status).toBe(200);
    expect(updated.body.validTo).toBe('2998-12-31T23:59:59.000Z');
  });

  it('reads a 4HSE date as UTC on a token expiresAt', async () => {
    // Within TOKEN_MAX_TTL (365 days by default): noon UTC, 30 days from today.
    const day = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    const res = await t
      .http()
      .post('/api/v2/tokens')
      .set(write)
      .send({ name: 'dated', role: 'Viewer', expiresAt: `${day} 12:00:00` });
    expect(res.status).toBe(201);
    expect(res.body.expiresAt).toBe(`${day}T12:00:00.000Z`);
    const [row] = await t.sql<{ expires_at: string }>('select expires_at from api_token where id = ?', [res.body.id]);
    expect(new Date(row.expires_at).toISOString()).toBe(`${day}T12:00:00.000Z`);
  });

  it.each([
    ['an impossible day', '2026-02-30 00:00:00'],
    ['hour 24', '2026-12-02 24:00:00'],
    ['no seconds', '2026-12-02 03:29'],
    ['T without an offset (server-local time)', '2026-12-02T03:29:45'],
    ['fractions without an offset', '2026-12-02 03:29:45.5'],
  ])('still refuses %s (%p) with 400 naming the field, changing nothing', async (_label, date) => {
    const id = await f.unit({ name: 'Open' });
    const res = await t.http().post(`/v2/org-unit/historicize/${id}`).set(write).send({ date });
    expect(res.status).toBe(400);
    expect(res.body).toEqual(
      problem(400, 'validation-error', {
        errors: [{ field: 'date', message: 'must be an ISO 8601 date-time such as 2026-01-31T00:00:00.000Z' }],
      }),
    );
    const person = await t
      .http()
      .post('/api/v2/data/people')
      .set(write)
      .send({ email: 'x@example.com', firstName: 'X', lastName: 'Y', validFrom: date });
    expect(person.status).toBe(400);
    expect(person.body.errors).toEqual([{ field: 'validFrom', message: expect.stringContaining('ISO 8601') }]);
    const token = await t.http().post('/api/v2/tokens').set(write).send({ name: 'bad', role: 'Viewer', expiresAt: date });
    expect(token.status).toBe(400);
    expect(token.body.errors).toEqual([{ field: 'expiresAt', message: expect.stringContaining('ISO 8601') }]);
    expect(await t.sql('select valid_to from org_unit')).toEqual([{ valid_to: null }]);
    expect(await t.sql('select count(*)::int as n from person')).toEqual([{ n: 0 }]);
  });
});
