import type { Response } from 'supertest';
import { bearer, createTestApp, problem, UUID, type TestApp } from '../support/test-app.js';
import {
  byTypeAndId,
  errorFields,
  hexId,
  orgFactories,
  tableCounts,
  truncateOrgTables,
  type OrgFactories,
} from '../support/org-factories.js';

const BASE = '/v2/org-person';
const PEOPLE = '/api/v2/data/people';
const PROJECT_A = '7d3c8a9e-1b2f-4c5d-8e6f-0a1b2c3d4e5f';
const CLIENT_ID = '5f0c3b7e-4f43-4e0b-9a52-1f3f1c2d9a10';
const MISSING_ID = '00000000-0000-4000-8000-000000000000';

interface AssignmentRow {
  org_person_id: string;
  person_last_name: string;
  org_unit_name: string;
}

/** A validation problem whose errors name exactly `fields`. */
function expectInvalid(res: Response, fields: string[]) {
  expect(res.status).toBe(400);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toEqual(
    problem(400, 'validation-error', { errors: expect.arrayContaining([{ field: expect.any(String), message: expect.any(String) }]) }),
  );
  expect(errorFields(res)).toEqual([...fields].sort());
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

describe('OrgPerson API (4HSE dialect)', () => {
  let t: TestApp;
  let f: OrgFactories;
  let write: Record<string, string>;
  let read: Record<string, string>;
  let admin: Record<string, string>;

  /** Ada Lovelace, Engineering (ENG), Manager (MGR): the usual cast. */
  let ada: string;
  let eng: string;
  let mgr: string;

  beforeAll(async () => {
    t = await createTestApp();
    f = orgFactories(t);
    write = bearer(t.tokens.powerUser);
    read = bearer(t.tokens.viewer);
    admin = bearer(t.tokens.admin);
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await truncateOrgTables(t);
    ada = await f.person({ email: 'Ada.Lovelace@Example.com', firstName: 'Ada', lastName: 'Lovelace' });
    eng = await f.unit({ name: 'Engineering', code: 'ENG', project_id: PROJECT_A });
    mgr = await f.role({ name: 'Manager', code: 'MGR' });
  });

  const create = (body: Record<string, unknown>) => t.http().post(`${BASE}/create`).set(write).send(body);
  const view = (id: string) => t.http().get(`${BASE}/view/${id}`).set(read);
  const update = (id: string, body: Record<string, unknown>) => t.http().put(`${BASE}/update/${id}`).set(write).send(body);
  const index = (body: Record<string, unknown> = {}) => t.http().post(`${BASE}/index`).set(read).send(body);
  const ids = (res: Response) => (res.body as AssignmentRow[]).map((a) => a.org_person_id);

  /** The whole answer for Ada in Engineering as Manager, with overrides. */
  function assignmentBody(overrides: Record<string, unknown> = {}) {
    return {
      org_person_id: UUID,
      person_id: ada,
      org_unit_id: eng,
      org_role_id: mgr,
      valid_from: null,
      valid_to: null,
      owned_active: true,
      parent_active: true,
      org_unit_code: 'ENG',
      org_unit_name: 'Engineering',
      org_role_code: 'MGR',
      org_role_name: 'Manager',
      person_first_name: 'Ada',
      person_last_name: 'Lovelace',
      person_email: 'Ada.Lovelace@Example.com',
      ...overrides,
    };
  }
  const noRole = { org_role_id: null, org_role_code: null, org_role_name: null };

  describe('POST /v2/org-person/create', () => {
    it('creates an assignment with a role and answers 201 with the whole entity and its joined fields', async () => {
      const res = await create({ person_id: ada, org_unit_id: eng, org_role_id: mgr });
      expect(res.status).toBe(201);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual(assignmentBody());
      expect(await t.sql('select id, person_id, org_unit_id, org_role_id, valid_from, valid_to from org_person')).toEqual([
        { id: res.body.org_person_id, person_id: ada, org_unit_id: eng, org_role_id: mgr, valid_from: null, valid_to: null },
      ]);
    });

    it('creates an assignment without a role', async () => {
      const res = await create({ person_id: ada, org_unit_id: eng });
      expect(res.status).toBe(201);
      expect(res.body).toEqual(assignmentBody(noRole));
    });

    it('accepts every id in 32-hex form and answers them dashed and lowercase', async () => {
      const res = await create({
        org_person_id: hexId(CLIENT_ID),
        person_id: hexId(ada),
        org_unit_id: hexId(eng),
        org_role_id: hexId(mgr),
        valid_from: '2020-03-01T10:00:00+02:00',
        valid_to: '2999-01-01T00:00:00Z',
      });
      expect(res.status).toBe(201);
      expect(res.body).toEqual(
        assignmentBody({ org_person_id: CLIENT_ID, valid_from: '2020-03-01T08:00:00.000Z', valid_to: '2999-01-01T00:00:00.000Z' }),
      );
      expect(await t.sql('select id from org_person')).toEqual([{ id: CLIENT_ID }]);
    });

    it.each([
      ['person_id and org_unit_id', () => ({ org_role_id: mgr }), ['org_unit_id', 'person_id']],
      ['person_id', () => ({ org_unit_id: eng, org_role_id: mgr }), ['person_id']],
      ['org_unit_id', () => ({ person_id: ada }), ['org_unit_id']],
    ])('answers 400 naming %s when missing, writing nothing', async (_label, body, fields) => {
      const res = await create(body());
      expectInvalid(res, fields);
      expect((await tableCounts(t)).org_person).toBe(0);
    });

    it('answers 400 naming person_id and org_unit_id when they are null', async () => {
      expectInvalid(await create({ person_id: null, org_unit_id: null }), ['org_unit_id', 'person_id']);
      expect((await tableCounts(t)).org_person).toBe(0);
    });

    it.each([
      ['person_id', { person_id: 'ada' }],
      ['org_unit_id', { org_unit_id: 17 }],
      ['org_role_id', { org_role_id: 'x'.repeat(40) }],
      ['valid_from', { valid_from: 'x'.repeat(300) }],
    ])('rejects a malformed or over-long %s with 400 naming it', async (field, body) => {
      expectInvalid(await create({ person_id: ada, org_unit_id: eng, ...body }), [field]);
      expect((await tableCounts(t)).org_person).toBe(0);
    });

    it('refuses valid_to before valid_from, naming valid_to', async () => {
      const res = await create({ person_id: ada, org_unit_id: eng, valid_from: '2025-01-02T00:00:00Z', valid_to: '2025-01-01T00:00:00Z' });
      expectInvalid(res, ['valid_to']);
      expect((await tableCounts(t)).org_person).toBe(0);
    });

    it.each([
      ['person_id', () => ({ person_id: MISSING_ID, org_unit_id: eng, org_role_id: mgr })],
      ['org_unit_id', () => ({ person_id: ada, org_unit_id: MISSING_ID, org_role_id: mgr })],
      ['org_role_id', () => ({ person_id: ada, org_unit_id: eng, org_role_id: MISSING_ID })],
    ])('answers 400 naming %s when it does not exist, writing nothing', async (field, body) => {
      expectInvalid(await create(body()), [field]);
      expect((await tableCounts(t)).org_person).toBe(0);
    });

    it('names every reference that does not exist at once', async () => {
      expectInvalid(await create({ person_id: MISSING_ID, org_unit_id: MISSING_ID, org_role_id: MISSING_ID }), [
        'org_role_id',
        'org_unit_id',
        'person_id',
      ]);
    });

    it('answers 409 for a second active assignment with the same person, unit and role', async () => {
      await f.assignment({ person_id: ada, org_unit_id: eng, org_role_id: mgr });
      const res = await create({ person_id: hexId(ada), org_unit_id: eng, org_role_id: mgr });
      expect(res.status).toBe(409);
      expect(res.body).toEqual(problem(409, 'conflict'));
      expect((await tableCounts(t)).org_person).toBe(1);
    });

    it('answers 409 for a second active assignment with the same person and unit and no role', async () => {
      await f.assignment({ person_id: ada, org_unit_id: eng });
      const res = await create({ person_id: ada, org_unit_id: eng, org_role_id: null });
      expect(res.status).toBe(409);
      expect(res.body).toEqual(problem(409, 'conflict'));
      expect((await tableCounts(t)).org_person).toBe(1);
    });

    it('answers 409 for a second assignment while the first is still active with a valid_to in the future', async () => {
      await f.assignment({ person_id: ada, org_unit_id: eng, org_role_id: mgr, valid_to: '2999-01-01T00:00:00Z' });
      const res = await create({ person_id: ada, org_unit_id: eng, org_role_id: mgr });
      expect(res.status).toBe(409);
      expect(res.body).toEqual(problem(409, 'conflict'));
      expect((await tableCounts(t)).org_person).toBe(1);
    });

    it('answers 409 for a second assignment with a future valid_to while the first is open', async () => {
      await f.assignment({ person_id: ada, org_unit_id: eng, org_role_id: mgr });
      const res = await create({ person_id: ada, org_unit_id: eng, org_role_id: mgr, valid_to: '2999-01-01T00:00:00Z' });
      expect(res.status).toBe(409);
      expect(res.body).toEqual(problem(409, 'conflict'));
      expect((await tableCounts(t)).org_person).toBe(1);
    });

    it('accepts a record of the same assignment whose period has already ended', async () => {
      await f.assignment({ person_id: ada, org_unit_id: eng, org_role_id: mgr });
      const res = await create({
        person_id: ada,
        org_unit_id: eng,
        org_role_id: mgr,
        valid_from: '2019-01-01T00:00:00Z',
        valid_to: '2020-01-01T00:00:00Z',
      });
      expect(res.status).toBe(201);
      expect(res.body).toEqual(
        assignmentBody({ valid_from: '2019-01-01T00:00:00.000Z', valid_to: '2020-01-01T00:00:00.000Z', owned_active: false }),
      );
    });

    it('accepts the same person and unit with another role, and with no role', async () => {
      await f.assignment({ person_id: ada, org_unit_id: eng, org_role_id: mgr });
      const clerk = await f.role({ name: 'Clerk' });
      expect((await create({ person_id: ada, org_unit_id: eng, org_role_id: clerk })).status).toBe(201);
      expect((await create({ person_id: ada, org_unit_id: eng })).status).toBe(201);
      expect((await tableCounts(t)).org_person).toBe(3);
    });

    it('accepts the assignment again once the first one is historicized', async () => {
      const first = await f.assignment({ person_id: ada, org_unit_id: eng, org_role_id: mgr });
      expect((await t.http().post(`${BASE}/historicize/${first}`).set(write)).status).toBe(200);
      const res = await create({ person_id: ada, org_unit_id: eng, org_role_id: mgr });
      expect(res.status).toBe(201);
      expect(res.body).toEqual(assignmentBody());
      expect(res.body.org_person_id).not.toBe(first);
      expect((await tableCounts(t)).org_person).toBe(2);
    });
  });

  describe('joined read-only fields', () => {
    let id: string;
    beforeEach(async () => {
      id = await f.assignment({ person_id: ada, org_unit_id: eng, org_role_id: mgr });
    });

    it('follow a rename of the unit and its code', async () => {
      expect((await t.http().put(`/v2/org-unit/update/${eng}`).set(write).send({ name: 'R&D', code: 'RND' })).status).toBe(200);
      expect((await view(id)).body).toEqual(assignmentBody({ org_person_id: id, org_unit_name: 'R&D', org_unit_code: 'RND' }));
    });

    it('follow a rename of the role', async () => {
      expect((await t.http().put(`/v2/org-role/update/${mgr}`).set(write).send({ name: 'Head', code: null })).status).toBe(200);
      expect((await view(id)).body).toEqual(assignmentBody({ org_person_id: id, org_role_name: 'Head', org_role_code: null }));
    });

    it('follow a change of the person (Opsera PUT)', async () => {
      const res = await t.http().put(`${PEOPLE}/ada.lovelace@example.com`).set(write).send({
        firstName: 'Augusta Ada',
        lastName: 'King',
        email: 'ada.king@example.com',
      });
      expect(res.status).toBe(200);
      expect((await view(id)).body).toEqual(
        assignmentBody({
          org_person_id: id,
          person_first_name: 'Augusta Ada',
          person_last_name: 'King',
          person_email: 'ada.king@example.com',
        }),
      );
    });

    it('follow a change of the role through an update of the assignment', async () => {
      const res = await update(id, { org_role_id: null });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(assignmentBody({ org_person_id: id, ...noRole }));
    });
  });

  describe('PUT /v2/org-person/update', () => {
    let id: string;
    beforeEach(async () => {
      id = await f.assignment({ person_id: ada, org_unit_id: eng, org_role_id: mgr, valid_from: '2024-01-01T00:00:00Z' });
    });

    it('updates only the fields sent (path form)', async () => {
      const sales = await f.unit({ name: 'Sales', code: 'SAL' });
      const res = await update(id, { org_unit_id: sales });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(
        assignmentBody({
          org_person_id: id,
          org_unit_id: sales,
          org_unit_code: 'SAL',
          org_unit_name: 'Sales',
          valid_from: '2024-01-01T00:00:00.000Z',
        }),
      );
      expect(await t.sql('select org_unit_id, org_role_id from org_person')).toEqual([{ org_unit_id: sales, org_role_id: mgr }]);
    });

    it('answers 400 naming a reference that does not exist, changing nothing', async () => {
      expectInvalid(await update(id, { org_unit_id: MISSING_ID }), ['org_unit_id']);
      expectInvalid(await update(id, { org_role_id: MISSING_ID }), ['org_role_id']);
      expectInvalid(await update(id, { person_id: MISSING_ID }), ['person_id']);
      expect(await t.sql('select person_id, org_unit_id, org_role_id from org_person')).toEqual([
        { person_id: ada, org_unit_id: eng, org_role_id: mgr },
      ]);
    });

    it('refuses null for person_id and org_unit_id', async () => {
      expectInvalid(await update(id, { person_id: null }), ['person_id']);
      expectInvalid(await update(id, { org_unit_id: null }), ['org_unit_id']);
    });

    it('answers 409 when the update would duplicate another active assignment', async () => {
      const other = await f.assignment({ person_id: ada, org_unit_id: eng });
      const res = await update(other, { org_role_id: mgr });
      expect(res.status).toBe(409);
      expect(res.body).toEqual(problem(409, 'conflict'));
      expect(await t.sql('select org_role_id from org_person where id = ?', [other])).toEqual([{ org_role_id: null }]);
    });

    it('answers 409 when re-activating a historicized assignment would duplicate its active successor', async () => {
      expect((await t.http().post(`${BASE}/historicize/${id}`).set(write)).status).toBe(200);
      const successor = await f.assignment({ person_id: ada, org_unit_id: eng, org_role_id: mgr });
      const res = await update(id, { valid_to: null });
      expect(res.status).toBe(409);
      expect(res.body).toEqual(problem(409, 'conflict'));
      expect(await t.sql('select count(*)::int as n from org_person where valid_to is null')).toEqual([{ n: 1 }]);
      expect((await view(successor)).body.owned_active).toBe(true);
    });

    it('refuses the joined fields as update fields, naming them and changing nothing', async () => {
      expectInvalid(await update(id, { org_unit_name: 'x', person_last_name: 'y' }), ['org_unit_name', 'person_last_name']);
      expect(await t.sql('select id from org_person')).toEqual([{ id }]);
    });

    it('refuses valid_to before the stored valid_from', async () => {
      expectInvalid(await update(id, { valid_to: '2023-01-01T00:00:00Z' }), ['valid_to']);
    });
  });

  describe('DELETE /api/v2/data/people/{email} with assignments', () => {
    let held: string[];
    let other: string;
    beforeEach(async () => {
      const sales = await f.unit({ name: 'Sales' });
      other = await f.person({ firstName: 'Grace', lastName: 'Hopper' });
      held = [
        await f.assignment({ person_id: ada, org_unit_id: eng, org_role_id: mgr }),
        await f.assignment({ person_id: ada, org_unit_id: sales }),
      ];
      await f.assignment({ person_id: other, org_unit_id: sales });
    });

    it('is refused with 400 listing the assignments, changing nothing', async () => {
      const before = await tableCounts(t);
      const res = await t.http().delete(`${PEOPLE}/ada.lovelace@example.com`).set(write);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(problem(400, 'related-entities', { related: { counts: { 'org-person': 2 }, items: expect.any(Array) } }));
      expect(byTypeAndId(res.body.related.items)).toEqual(
        byTypeAndId(held.map((id) => ({ type: 'org-person', id, label: expect.stringContaining('Lovelace') }))),
      );
      expect(await tableCounts(t)).toEqual(before);
    });

    it('is refused with force=false too', async () => {
      const res = await t.http().delete(`${PEOPLE}/ada.lovelace@example.com?force=false`).set(admin);
      expect(res.status).toBe(400);
      expect(res.body.related.counts).toEqual({ 'org-person': 2 });
    });

    it('answers 403 to a Power User with force=true, changing nothing', async () => {
      const before = await tableCounts(t);
      const res = await t.http().delete(`${PEOPLE}/ada.lovelace@example.com?force=true`).set(write);
      expect(res.status).toBe(403);
      expect(await tableCounts(t)).toEqual(before);
    });

    it('deletes the person and their assignments with force=true as Administrator, nobody else’s', async () => {
      const res = await t.http().delete(`${PEOPLE}/ada.lovelace@example.com?force=true`).set(admin);
      expect(res.status).toBe(204);
      expect(await t.sql('select id from person')).toEqual([{ id: other }]);
      expect(await t.sql('select person_id from org_person')).toEqual([{ person_id: other }]);
      expect(await tableCounts(t)).toEqual({ person: 1, org_unit: 2, org_role: 1, org_person: 1 });
    });
  });

  describe('POST /v2/org-person/index', () => {
    /** Four people in three units, with and without roles. */
    let cast: Record<'adaEng' | 'adaSales' | 'graceEng' | 'alanOps' | 'ednaSales', string>;
    let sales: string;
    let ops: string;
    beforeEach(async () => {
      sales = await f.unit({ name: 'Sales', code: 'SAL', project_id: PROJECT_A });
      ops = await f.unit({ name: 'Operations', code: 'OPS' });
      const grace = await f.person({ email: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper' });
      const alan = await f.person({ email: 'alan@example.com', firstName: 'Alan', lastName: 'Turing' });
      const edna = await f.person({ email: 'edna@example.com', firstName: 'Edna', lastName: 'Hopper' });
      cast = {
        adaEng: await f.assignment({ person_id: ada, org_unit_id: eng, org_role_id: mgr }),
        adaSales: await f.assignment({ person_id: ada, org_unit_id: sales }),
        graceEng: await f.assignment({ person_id: grace, org_unit_id: eng }),
        alanOps: await f.assignment({ person_id: alan, org_unit_id: ops, org_role_id: mgr }),
        ednaSales: await f.assignment({ person_id: edna, org_unit_id: sales }),
      };
    });
    const filtered = async (filter: Record<string, unknown>) => {
      const res = await index({ filter });
      expect(res.status).toBe(200);
      return [...ids(res)].sort();
    };
    const sortedIds = (list: string[]) => [...list].sort();

    it('filters by org_unit_id (in 32-hex form too)', async () => {
      expect(await filtered({ org_unit_id: hexId(eng) })).toEqual(sortedIds([cast.adaEng, cast.graceEng]));
    });

    it('filters by person_email case-insensitively', async () => {
      expect(await filtered({ person_email: 'ADA.LOVELACE@example.com' })).toEqual(sortedIds([cast.adaEng, cast.adaSales]));
      expect(await filtered({ person_email: 'ada.lovelace' })).toEqual([]);
    });

    it('filters by org_role_id null (assignments without a role) and by a role', async () => {
      expect(await filtered({ org_role_id: null })).toEqual(sortedIds([cast.adaSales, cast.graceEng, cast.ednaSales]));
      expect(await filtered({ org_role_id: mgr })).toEqual(sortedIds([cast.adaEng, cast.alanOps]));
    });

    it('filters by org_unit_name, org_unit_code, org_role_name and person names exactly', async () => {
      expect(await filtered({ org_unit_name: 'Sales' })).toEqual(sortedIds([cast.adaSales, cast.ednaSales]));
      expect(await filtered({ org_unit_code: 'OPS' })).toEqual([cast.alanOps]);
      expect(await filtered({ org_role_code: 'MGR', org_unit_name: 'Engineering' })).toEqual([cast.adaEng]);
      expect(await filtered({ org_role_name: 'Manager' })).toEqual(sortedIds([cast.adaEng, cast.alanOps]));
      expect(await filtered({ person_last_name: 'Hopper' })).toEqual(sortedIds([cast.graceEng, cast.ednaSales]));
      expect(await filtered({ person_first_name: 'Grace', person_last_name: 'Hopper' })).toEqual([cast.graceEng]);
    });

    it('filters by person_id and by the project of the unit', async () => {
      expect(await filtered({ person_id: ada })).toEqual(sortedIds([cast.adaEng, cast.adaSales]));
      expect(await filtered({ project_id: PROJECT_A })).toEqual(sortedIds([cast.adaEng, cast.adaSales, cast.graceEng, cast.ednaSales]));
    });

    it('sorts by person_last_name, then the id', async () => {
      const res = await index({ sort: 'person_last_name' });
      const rows = res.body as AssignmentRow[];
      expect(rows.map((r) => r.person_last_name)).toEqual(['Hopper', 'Hopper', 'Lovelace', 'Lovelace', 'Turing']);
      expect(ids(res)).toEqual(
        [...rows]
          .sort((a, b) => cmp(a.person_last_name, b.person_last_name) || cmp(a.org_person_id, b.org_person_id))
          .map((r) => r.org_person_id),
      );
    });

    it('sorts by -org_unit_name,person_last_name', async () => {
      const res = await index({ sort: '-org_unit_name,person_last_name' });
      expect(res.status).toBe(200);
      expect((res.body as AssignmentRow[]).map((r) => [r.org_unit_name, r.person_last_name])).toEqual([
        ['Sales', 'Hopper'],
        ['Sales', 'Lovelace'],
        ['Operations', 'Turing'],
        ['Engineering', 'Hopper'],
        ['Engineering', 'Lovelace'],
      ]);
    });

    it('sorts by org_unit_name and pages through it, every row exactly once', async () => {
      const seen: string[] = [];
      for (let page = 1; page <= 3; page++) {
        const res = await index({ sort: 'org_unit_name', 'per-page': 2, page });
        expect(res.headers['x-pagination-page-count']).toBe('3');
        expect(res.headers['x-pagination-total-count']).toBe('5');
        seen.push(...ids(res));
      }
      expect(sortedIds(seen)).toEqual(sortedIds(Object.values(cast)));
      const whole = await index({ sort: 'org_unit_name' });
      expect(ids(whole)).toEqual(seen);
      expect((whole.body as AssignmentRow[]).map((r) => r.org_unit_name)).toEqual([
        'Engineering',
        'Engineering',
        'Operations',
        'Sales',
        'Sales',
      ]);
    });

    it.each([
      ['org_unit_id as a number', { filter: { org_unit_id: 42 } }, 'filter.org_unit_id'],
      ['org_unit_id that is not a UUID', { filter: { org_unit_id: 'not-a-uuid' } }, 'filter.org_unit_id'],
      ['person_email as a number', { filter: { person_email: 1 } }, 'filter.person_email'],
      ['sorting by a filter-only field', { sort: 'person_email' }, 'sort'],
    ])('answers 400 naming the field for %s', async (_label, body, field) => {
      const res = await index(body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(problem(400, 'validation-error', { errors: expect.any(Array) }));
      expect(errorFields(res)).toEqual([field]);
    });
  });
});
