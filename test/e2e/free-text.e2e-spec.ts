import type { Response } from 'supertest';
import { bearer, createTestApp, problem, type TestApp } from '../support/test-app.js';
import { expectCleanProblem } from '../support/leaks.js';
import { orgFactories, tableCounts, truncateOrgTables, type OrgFactories } from '../support/org-factories.js';

/**
 * Contract section 7: free text refuses Unicode control characters (Cc) other than tab and the
 * bidirectional override and isolate characters, with a 400 naming the field, in every string
 * field of every route: bodies, index filters and query parameters. Tab stays accepted.
 */
const HOSTILE = [
  ['an escape sequence', '\r\u001b[2Khidden', 'U+000D'],
  ['a line feed', 'two\nlines', 'U+000A'],
  ['a bell', 'ding\u0007', 'U+0007'],
  ['DEL', 'x\u007f', 'U+007F'],
  ['a C1 control (CSI)', 'x\u009b31m', 'U+009B'],
  ['a right-to-left override', 'cod\u202egnp.exe', 'U+202E'],
  ['a left-to-right embedding', '\u202aHR', 'U+202A'],
  ['a first-strong isolate', '\u2068HR\u2069', 'U+2068'],
] as const;

const message = (found: string) =>
  `must not contain control characters (other than tab) or bidirectional override characters (found ${found})`;

describe('Control characters in free text (every DTO)', () => {
  let t: TestApp;
  let make: OrgFactories;
  let unitId: string;
  let roleId: string;
  const email = 'ada@example.com';

  beforeAll(async () => {
    t = await createTestApp();
    make = orgFactories(t);
    await truncateOrgTables(t);
    await make.person({ email, firstName: 'Ada', lastName: 'Lovelace' });
    unitId = await make.unit({ name: 'HR' });
    roleId = await make.role({ name: 'Manager' });
  });
  afterAll(() => t.close());

  const write = () => bearer(t.tokens.powerUser);

  /** Each route and field, with the request that carries `value` in it. */
  const cases: { route: string; field: string; send: (value: string) => Promise<Response> }[] = [
    {
      route: 'POST /api/v2/tokens',
      field: 'name',
      send: (v) => t.http().post('/api/v2/tokens').set(bearer(t.tokens.admin)).send({ name: v, role: 'Viewer' }),
    },
    {
      route: 'POST /api/v2/data/people',
      field: 'firstName',
      send: (v) => t.http().post('/api/v2/data/people').set(write()).send({ email: 'x@example.com', firstName: v, lastName: 'L' }),
    },
    {
      route: 'POST /api/v2/data/people',
      field: 'lastName',
      send: (v) => t.http().post('/api/v2/data/people').set(write()).send({ email: 'x@example.com', firstName: 'F', lastName: v }),
    },
    {
      route: 'POST /api/v2/data/people',
      field: 'displayName',
      send: (v) =>
        t.http().post('/api/v2/data/people').set(write()).send({ email: 'x@example.com', firstName: 'F', lastName: 'L', displayName: v }),
    },
    {
      route: 'POST /api/v2/data/people',
      field: 'email',
      send: (v) =>
        t
          .http()
          .post('/api/v2/data/people')
          .set(write())
          .send({ email: `a${v}@example.com`, firstName: 'F', lastName: 'L' }),
    },
    {
      route: 'POST /api/v2/data/people',
      field: 'business_group',
      send: (v) =>
        t
          .http()
          .post('/api/v2/data/people')
          .set(write())
          .send({ email: 'x@example.com', firstName: 'F', lastName: 'L', business_group: v }),
    },
    {
      route: 'PUT /api/v2/data/people/{email}',
      field: 'team',
      send: (v) => t.http().put(`/api/v2/data/people/${email}`).set(write()).send({ team: v }),
    },
    {
      route: 'PUT /api/v2/data/people/{email}',
      field: 'externalId',
      send: (v) => t.http().put(`/api/v2/data/people/${email}`).set(write()).send({ externalId: v }),
    },
    {
      route: 'GET /api/v2/data/people',
      field: 'q',
      send: (v) =>
        t
          .http()
          .get(`/api/v2/data/people?q=${encodeURIComponent(v)}`)
          .set(write()),
    },
    {
      route: 'GET /api/v2/data/people',
      field: 'department',
      send: (v) =>
        t
          .http()
          .get(`/api/v2/data/people?department=${encodeURIComponent(v)}`)
          .set(write()),
    },
    { route: 'POST /v2/org-unit/create', field: 'name', send: (v) => t.http().post('/v2/org-unit/create').set(write()).send({ name: v }) },
    {
      route: 'POST /v2/org-unit/create',
      field: 'code',
      send: (v) => t.http().post('/v2/org-unit/create').set(write()).send({ name: 'Unit', code: v }),
    },
    {
      route: 'POST /v2/org-unit/create',
      field: 'description',
      send: (v) => t.http().post('/v2/org-unit/create').set(write()).send({ name: 'Unit', description: v }),
    },
    {
      route: 'PUT /v2/org-unit/update/{id}',
      field: 'name',
      send: (v) => t.http().put(`/v2/org-unit/update/${unitId}`).set(write()).send({ name: v }),
    },
    {
      route: 'POST /v2/org-unit/index',
      field: 'filter.name',
      send: (v) =>
        t
          .http()
          .post('/v2/org-unit/index')
          .set(write())
          .send({ filter: { name: v } }),
    },
    { route: 'POST /v2/org-role/create', field: 'name', send: (v) => t.http().post('/v2/org-role/create').set(write()).send({ name: v }) },
    {
      route: 'POST /v2/org-role/create',
      field: 'description',
      send: (v) => t.http().post('/v2/org-role/create').set(write()).send({ name: 'Role', description: v }),
    },
    {
      route: 'PUT /v2/org-role/update/{id}',
      field: 'code',
      send: (v) => t.http().put(`/v2/org-role/update/${roleId}`).set(write()).send({ code: v }),
    },
    {
      route: 'POST /v2/org-role/index',
      field: 'filter.description',
      send: (v) =>
        t
          .http()
          .post('/v2/org-role/index')
          .set(write())
          .send({ filter: { description: v } }),
    },
    {
      route: 'POST /v2/org-person/index',
      field: 'filter.person_last_name',
      send: (v) =>
        t
          .http()
          .post('/v2/org-person/index')
          .set(write())
          .send({ filter: { person_last_name: v } }),
    },
    {
      route: 'POST /v2/org-person/index',
      field: 'sort',
      send: (v) => t.http().post('/v2/org-person/index').set(write()).send({ sort: v }),
    },
  ];

  describe.each(cases.map((c) => [`${c.route} ${c.field}`, c] as const))('%s', (_label, c) => {
    it.each(HOSTILE)('answers 400 naming the field for %s, writing nothing', async (_what, value, found) => {
      const before = await tableCounts(t);
      const tokens = await t.sql('select count(*)::int as n from api_token');
      const res = await c.send(value);
      expectCleanProblem(res, 400);
      expect(res.body).toEqual(
        problem(400, 'validation-error', { errors: expect.arrayContaining([{ field: c.field, message: message(found) }]) }),
      );
      expect(await tableCounts(t)).toEqual(before);
      expect(await t.sql('select count(*)::int as n from api_token')).toEqual(tokens);
    });
  });

  it('keeps accepting a tab and other Unicode (accents, CJK, emoji, no-break and zero-width spaces)', async () => {
    const unit = await t
      .http()
      .post('/v2/org-unit/create')
      .set(write())
      .send({ name: 'R&D\tLab Zoë 研究 🧪', description: 'a\u00a0b\u200bc' });
    expect(unit.status).toBe(201);
    expect(unit.body.name).toBe('R&D\tLab Zoë 研究 🧪');
    const token = await t.http().post('/api/v2/tokens').set(bearer(t.tokens.admin)).send({ name: 'sync\tjob', role: 'Viewer' });
    expect(token.status).toBe(201);
    expect(token.body.name).toBe('sync\tjob');
  });
});
