import type { Response } from 'supertest';
import { bearer, createTestApp, problem, type TestApp } from '../support/test-app.js';
import { errorFields, hexId, orgFactories, tableCounts, truncateOrgTables, type OrgFactories } from '../support/org-factories.js';

/**
 * The contract the three 4HSE resources share (contract sections 3 to 7), once, table-driven: both
 * id forms (dashed and 32 hex) in the path and the query string, 400 naming the id, 404, 401 and
 * 403 by role, the paging headers and the list's 400s, unknown and read-only fields, the delete
 * rules' common answers and historicize=true. What only one resource does stays in its own file
 * (org-units, org-roles, org-person .e2e-spec.ts); historicize itself is in history.e2e-spec.ts.
 */

const PROJECT_A = '7d3c8a9e-1b2f-4c5d-8e6f-0a1b2c3d4e5f';
const CLIENT_ID = '122b7448-dce7-2057-574d-59f93d456e54';
const MISSING_ID = '00000000-0000-4000-8000-000000000000';

/** What an entity needs before it can be created (an assignment: a person, a unit and a role). */
interface Refs {
  ada: string;
  eng: string;
  mgr: string;
}

type Body = Record<string, unknown>;

interface Resource {
  name: 'org-unit' | 'org-role' | 'org-person';
  idField: 'org_unit_id' | 'org_role_id' | 'org_person_id';
  table: 'org_unit' | 'org_role' | 'org_person';
  /** Creates what `body` refers to. */
  refs(f: OrgFactories): Promise<Refs | undefined>;
  /** A valid create body: the entity most tests start from. */
  body(refs: Refs | undefined): Body;
  /** Another valid create body (a second entity that is no duplicate of the first). */
  other(refs: Refs | undefined): Body;
  /** The whole answer for the entity created from `body`. */
  answer(refs: Refs | undefined, id: string): Body;
  /** A partial update, and what it changes in the answer. */
  change: { body: Body; answer: Body };
  /** Fields a create refuses besides the server-managed ones (unknown, of another resource, joined read-only), with a value to send. */
  foreign: Body;
  /** A field `sort` accepts. */
  sortable: string;
}

const need = (refs: Refs | undefined): Refs => {
  if (!refs) throw new Error('this resource needs its references');
  return refs;
};

const RESOURCES: Resource[] = [
  {
    name: 'org-unit',
    idField: 'org_unit_id',
    table: 'org_unit',
    refs: () => Promise.resolve(undefined),
    body: () => ({ name: 'Engineering', code: 'ENG', description: 'Builds things', project_id: PROJECT_A }),
    other: () => ({ name: 'Sales' }),
    answer: (_refs, id) => ({
      org_unit_id: id,
      code: 'ENG',
      name: 'Engineering',
      description: 'Builds things',
      parent_org_unit_id: null,
      project_id: PROJECT_A,
      external_id: null,
      valid_from: null,
      valid_to: null,
      owned_active: true,
      parent_active: true,
    }),
    change: { body: { description: null, code: 'PLT' }, answer: { description: null, code: 'PLT' } },
    foreign: { colour: 'red' },
    sortable: 'name',
  },
  {
    name: 'org-role',
    idField: 'org_role_id',
    table: 'org_role',
    refs: () => Promise.resolve(undefined),
    body: () => ({ name: 'Manager', code: 'MGR', description: 'Leads', project_id: PROJECT_A }),
    other: () => ({ name: 'Clerk' }),
    answer: (_refs, id) => ({
      org_role_id: id,
      code: 'MGR',
      name: 'Manager',
      description: 'Leads',
      project_id: PROJECT_A,
      valid_from: null,
      valid_to: null,
      owned_active: true,
      parent_active: true,
    }),
    change: { body: { name: 'Head', code: null }, answer: { name: 'Head', code: null } },
    foreign: { colour: 'red', parent_org_unit_id: null },
    sortable: 'name',
  },
  {
    name: 'org-person',
    idField: 'org_person_id',
    table: 'org_person',
    refs: async (f) => ({
      ada: await f.person({ email: 'Ada.Lovelace@Example.com', firstName: 'Ada', lastName: 'Lovelace' }),
      eng: await f.unit({ name: 'Engineering', code: 'ENG', project_id: PROJECT_A }),
      mgr: await f.role({ name: 'Manager', code: 'MGR' }),
    }),
    body: (refs) => ({
      person_id: need(refs).ada,
      org_unit_id: need(refs).eng,
      org_role_id: need(refs).mgr,
      valid_from: '2024-01-01T00:00:00Z',
    }),
    other: (refs) => ({ person_id: need(refs).ada, org_unit_id: need(refs).eng }),
    answer: (refs, id) => ({
      org_person_id: id,
      person_id: need(refs).ada,
      org_unit_id: need(refs).eng,
      org_role_id: need(refs).mgr,
      valid_from: '2024-01-01T00:00:00.000Z',
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
    }),
    change: { body: { valid_from: null }, answer: { valid_from: null } },
    foreign: { colour: 'red', org_unit_code: 'ENG', person_email: 'x@example.com' },
    sortable: 'person_last_name',
  },
];

/** A validation problem whose errors name exactly `fields`. */
function expectInvalid(res: Response, fields: string[]) {
  expect(res.status).toBe(400);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toEqual(
    problem(400, 'validation-error', { errors: expect.arrayContaining([{ field: expect.any(String), message: expect.any(String) }]) }),
  );
  expect(errorFields(res)).toEqual([...fields].sort());
}

/** A problem answer with its content type. */
function expectProblem(res: Response, status: number, slug: string) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toEqual(problem(status, slug));
}

describe('4HSE contract', () => {
  let t: TestApp;
  let f: OrgFactories;
  let write: Record<string, string>;
  let read: Record<string, string>;
  let admin: Record<string, string>;

  beforeAll(async () => {
    t = await createTestApp();
    f = orgFactories(t);
    write = bearer(t.tokens.powerUser);
    read = bearer(t.tokens.viewer);
    admin = bearer(t.tokens.admin);
  });
  afterAll(() => t.close());

  describe.each(RESOURCES)('/v2/$name', (r) => {
    const BASE = `/v2/${r.name}`;
    let refs: Refs | undefined;

    beforeEach(async () => {
      await truncateOrgTables(t);
      refs = await r.refs(f);
    });

    /** Creates an entity through the API; returns its id. */
    async function make(body: Body = r.body(refs)): Promise<string> {
      const res = await t.http().post(`${BASE}/create`).set(write).send(body);
      if (res.status !== 201) throw new Error(`creating a ${r.name} answered ${res.status}: ${JSON.stringify(res.body)}`);
      return (res.body as Record<string, string>)[r.idField];
    }
    const answer = (id: string, overrides: Body = {}) => ({ ...r.answer(refs, id), ...overrides });
    const ids = async () => (await t.sql<{ id: string }>(`select id from ${r.table} order by id`)).map((row) => row.id);
    const rowOf = async (id: string) => t.sql(`select * from ${r.table} where id = ?`, [id]);
    const view = (id: string) => t.http().get(`${BASE}/view/${id}`).set(read);
    const create = (body: Body, token = write) => t.http().post(`${BASE}/create`).set(token).send(body);
    const index = (body: Body = {}) => t.http().post(`${BASE}/index`).set(read).send(body);

    describe('create', () => {
      it('accepts a client-supplied id in 32-hex form and answers it dashed and lowercase', async () => {
        const res = await create({ ...r.body(refs), [r.idField]: hexId(CLIENT_ID) });
        expect(res.status).toBe(201);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(res.body).toEqual(answer(CLIENT_ID));
        expect(await ids()).toEqual([CLIENT_ID]);
      });

      it.each([
        ['dashed in upper case', CLIENT_ID.toUpperCase()],
        ['in 32-hex form', hexId(CLIENT_ID)],
      ])('answers 409 for a taken id given %s, and writes nothing', async (_label, taken) => {
        await make({ ...r.body(refs), [r.idField]: CLIENT_ID });
        const res = await create({ ...r.other(refs), [r.idField]: taken });
        expectProblem(res, 409, 'conflict');
        expect(await ids()).toEqual([CLIENT_ID]);
        expect((await view(CLIENT_ID)).body).toEqual(answer(CLIENT_ID));
      });

      it('rejects unknown, server-managed and read-only fields by name, writing nothing', async () => {
        const res = await create({ ...r.body(refs), created_at: '2020-01-01T00:00:00Z', owned_active: false, ...r.foreign });
        expectInvalid(res, ['created_at', 'owned_active', ...Object.keys(r.foreign)]);
        expect(res.body.errors).toContainEqual({ field: 'colour', message: 'is not an accepted field' });
        expect(await ids()).toEqual([]);
      });

      it('answers 403 to a Viewer and writes nothing', async () => {
        expectProblem(await create(r.body(refs), read), 403, 'forbidden');
        expect(await ids()).toEqual([]);
      });

      it('answers 401 without a token', async () => {
        const res = await t.http().post(`${BASE}/create`).send(r.body(refs));
        expect(res.status).toBe(401);
        expect(res.headers['www-authenticate']).toBe('Bearer realm="organigram"');
        expect(await ids()).toEqual([]);
      });
    });

    describe('GET view', () => {
      it.each([
        ['the path form with a dashed id', (id: string) => `view/${id}`],
        ['the path form with a 32-hex id', (id: string) => `view/${hexId(id)}`],
        ['the query form with a dashed id', (id: string) => `view?id=${id}`],
        ['the query form with a 32-hex id', (id: string) => `view?id=${hexId(id)}`],
      ])('answers the entity to a Viewer through %s', async (_label, url) => {
        const id = await make();
        const res = await t
          .http()
          .get(`${BASE}/${url(id)}`)
          .set(read);
        expect(res.status).toBe(200);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(res.body).toEqual(answer(id));
      });

      it.each([
        ['a malformed path id', 'view/not-a-uuid'],
        ['a numeric path id', 'view/12345'],
        ['a path id of 31 hex digits', `view/${'a'.repeat(31)}`],
        ['a malformed query id', 'view?id=1234'],
        ['a query id that is not hex', `view?id=g${'0'.repeat(31)}`],
        ['another malformed query id', 'view?id=zz'],
        ['a missing id', 'view'],
      ])('answers 400 naming id for %s', async (_label, url) => {
        const res = await t.http().get(`${BASE}/${url}`).set(read);
        expect(res.status).toBe(400);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.body).toEqual(problem(400, 'validation-error', { errors: [{ field: 'id', message: expect.any(String) }] }));
      });

      it.each([
        ['the path form', `view/${MISSING_ID}`],
        ['the query form with a dashed id', `view?id=${MISSING_ID}`],
        ['the query form with a 32-hex id', `view?id=${hexId(MISSING_ID)}`],
      ])('answers 404 for an unknown id in %s', async (_label, url) => {
        expectProblem(await t.http().get(`${BASE}/${url}`).set(read), 404, 'not-found');
      });
    });

    describe('PUT update', () => {
      let id: string;
      beforeEach(async () => {
        id = await make();
      });

      it('updates through the ?id= form with a 32-hex id, a field sent as null clearing it', async () => {
        const res = await t
          .http()
          .put(`${BASE}/update?id=${hexId(id)}`)
          .set(write)
          .send(r.change.body);
        expect(res.status).toBe(200);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(res.body).toEqual(answer(id, r.change.answer));
        expect((await view(id)).body).toEqual(answer(id, r.change.answer));
      });

      it('answers 404 for an unknown id', async () => {
        const res = await t.http().put(`${BASE}/update/${MISSING_ID}`).set(write).send(r.change.body);
        expectProblem(res, 404, 'not-found');
      });

      it('answers 400 naming id for a malformed id', async () => {
        expectInvalid(await t.http().put(`${BASE}/update/xyz`).set(write).send(r.change.body), ['id']);
      });

      it('refuses the id as an update field, naming it and changing nothing', async () => {
        const before = await rowOf(id);
        const res = await t
          .http()
          .put(`${BASE}/update/${id}`)
          .set(write)
          .send({ ...r.change.body, [r.idField]: CLIENT_ID });
        expectInvalid(res, [r.idField]);
        expect(await ids()).toEqual([id]);
        expect(await rowOf(id)).toEqual(before);
      });

      it('refuses unknown and read-only fields by name, changing nothing', async () => {
        const before = await rowOf(id);
        const res = await t
          .http()
          .put(`${BASE}/update/${id}`)
          .set(write)
          .send({ owned_active: false, parent_active: true, updated_at: 'x' });
        expectInvalid(res, ['owned_active', 'parent_active', 'updated_at']);
        expect(await rowOf(id)).toEqual(before);
      });

      it('answers 403 to a Viewer and changes nothing', async () => {
        const before = await rowOf(id);
        expectProblem(await t.http().put(`${BASE}/update/${id}`).set(read).send(r.change.body), 403, 'forbidden');
        expect(await rowOf(id)).toEqual(before);
      });
    });

    describe('DELETE delete', () => {
      let id: string;
      let keep: string;
      beforeEach(async () => {
        id = await make();
        keep = await make(r.other(refs));
      });
      const del = (target: string, query = '', token = write) => t.http().delete(`${BASE}/delete/${target}${query}`).set(token);
      /** The counts after the entity is gone: one row less in its table, every other table untouched. */
      const without = (before: Awaited<ReturnType<typeof tableCounts>>) => ({ ...before, [r.table]: before[r.table] - 1 });

      it('deletes an entity without related entities: 204, empty body, the row gone, nothing else', async () => {
        const before = await tableCounts(t);
        const res = await del(id);
        expect(res.status).toBe(204);
        expect(res.text).toBe('');
        expect(await ids()).toEqual([keep]);
        expect(await tableCounts(t)).toEqual(without(before));
        expectProblem(await view(id), 404, 'not-found');
      });

      it('deletes through the ?id= form with a 32-hex id', async () => {
        const res = await t
          .http()
          .delete(`${BASE}/delete?id=${hexId(id)}`)
          .set(write);
        expect(res.status).toBe(204);
        expect(await ids()).toEqual([keep]);
      });

      it.each(['true', '1'])('answers 403 to a Power User with force=%s and changes nothing', async (force) => {
        const before = await tableCounts(t);
        expectProblem(await del(id, `?force=${force}`), 403, 'forbidden');
        expect(await tableCounts(t)).toEqual(before);
      });

      it('answers 204 to force=true from an Administrator on an entity without related entities', async () => {
        const before = await tableCounts(t);
        expect((await del(id, '?force=true', admin)).status).toBe(204);
        expect(await ids()).toEqual([keep]);
        expect(await tableCounts(t)).toEqual(without(before));
      });

      it('answers 403 to a Viewer and changes nothing', async () => {
        const before = await tableCounts(t);
        expectProblem(await del(id, '', read), 403, 'forbidden');
        expect(await tableCounts(t)).toEqual(before);
      });

      it.each([
        ['the path form', `delete/${MISSING_ID}`, () => write],
        ['the query form', `delete?id=${hexId(MISSING_ID)}`, () => write],
        ['the path form with force=true', `delete/${MISSING_ID}?force=true`, () => admin],
      ])('answers 404 for an unknown id in %s', async (_label, url, token) => {
        expectProblem(await t.http().delete(`${BASE}/${url}`).set(token()), 404, 'not-found');
      });

      it.each(['force', 'historicize'])('answers 400 naming %s for a malformed value, changing nothing', async (flag) => {
        const before = await rowOf(id);
        expectInvalid(await del(id, `?${flag}=maybe`, admin), [flag]);
        expect(await rowOf(id)).toEqual(before);
      });

      it.each(['true', '1'])('historicizes instead of deleting with historicize=%s: valid_to now, the row kept', async (flag) => {
        const before = await tableCounts(t);
        const res = await del(id, `?historicize=${flag}`);
        expect(res.status).toBe(204);
        expect(res.text).toBe('');
        expect(await tableCounts(t)).toEqual(before);
        const [row] = await t.sql<{ valid_to: string }>(`select valid_to from ${r.table} where id = ?`, [id]);
        expect(Math.abs(new Date(row.valid_to).getTime() - Date.now())).toBeLessThan(10_000);
        expect(await t.sql(`select id from ${r.table} where valid_to is not null`)).toEqual([{ id }]);
        expect((await view(id)).body).toEqual(answer(id, { valid_to: new Date(row.valid_to).toISOString(), owned_active: false }));
      });
    });

    describe('POST index', () => {
      it('answers a bare JSON array of whole entities with the pagination headers', async () => {
        const id = await make();
        const res = await index({});
        expect(res.status).toBe(200);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(res.body).toEqual([answer(id)]);
        expect(res.headers['x-pagination-current-page']).toBe('1');
        expect(res.headers['x-pagination-page-count']).toBe('1');
        expect(res.headers['x-pagination-per-page']).toBe('100');
        expect(res.headers['x-pagination-total-count']).toBe('1');
      });

      it('answers per-page as asked, up to 1000 at page 1', async () => {
        const id = await make();
        for (const perPage of [10, 1000]) {
          const res = await index({ 'per-page': perPage, page: 1 });
          expect(res.status).toBe(200);
          expect(res.body).toEqual([answer(id)]);
          expect(res.headers['x-pagination-per-page']).toBe(String(perPage));
          expect(res.headers['x-pagination-page-count']).toBe('1');
          expect(res.headers['x-pagination-total-count']).toBe('1');
        }
      });

      it('answers an empty array and zero counts when nothing matches', async () => {
        await make();
        const res = await index({ filter: { [r.idField]: MISSING_ID } });
        expect(res.status).toBe(200);
        expect(res.body).toEqual([]);
        expect(res.headers['x-pagination-current-page']).toBe('1');
        expect(res.headers['x-pagination-total-count']).toBe('0');
      });

      it('answers a page past the last with 200, an empty array and the real counts', async () => {
        await make();
        await make(r.other(refs));
        const res = await index({ 'per-page': 1, page: 3 });
        expect(res.status).toBe(200);
        expect(res.body).toEqual([]);
        expect(res.headers['x-pagination-current-page']).toBe('3');
        expect(res.headers['x-pagination-page-count']).toBe('2');
        expect(res.headers['x-pagination-per-page']).toBe('1');
        expect(res.headers['x-pagination-total-count']).toBe('2');
      });

      it.each([
        ['an unknown top-level key', { colour: 'red' }, 'colour'],
        ['an unknown filter key', { filter: { colour: 'red' } }, 'filter.colour'],
        ['a filter that is not an object', { filter: 'name' }, 'filter'],
        ['parent_active as a string', { filter: { parent_active: 'yes' } }, 'filter.parent_active'],
        ['owned_active as a number', { filter: { owned_active: 1 } }, 'filter.owned_active'],
        ['the id as a number', { filter: { [r.idField]: 42 } }, `filter.${r.idField}`],
        ['an id that is not a UUID', { filter: { [r.idField]: 'not-a-uuid' } }, `filter.${r.idField}`],
        ['an unknown sort field', { sort: 'salary' }, 'sort'],
        ['a descending unknown sort field', { sort: `${r.sortable},-salary` }, 'sort'],
        ['a sort that is not a string', { sort: ['name'] }, 'sort'],
        ['per-page 0', { 'per-page': 0 }, 'per-page'],
        ['per-page 1001', { 'per-page': 1001 }, 'per-page'],
        ['per-page as a string', { 'per-page': '10' }, 'per-page'],
        ['per-page 2.5', { 'per-page': 2.5 }, 'per-page'],
        ['page 0', { page: 0 }, 'page'],
        ['page -1', { page: -1 }, 'page'],
        ['history as a string', { history: 'yes' }, 'history'],
      ])('answers 400 naming the field for %s', async (_label, body, field) => {
        const res = await index(body);
        expect(res.status).toBe(400);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.body).toEqual(problem(400, 'validation-error', { errors: expect.any(Array) }));
        expect(errorFields(res)).toEqual([field]);
      });

      it('lists a historicized entity only with history true, with its flags', async () => {
        const id = await make();
        const ended = await make(r.other(refs));
        expect((await t.http().post(`${BASE}/historicize/${ended}`).set(write)).status).toBe(200);
        const current = await index({});
        expect(current.body).toEqual([answer(id)]);
        expect(current.headers['x-pagination-total-count']).toBe('1');
        const all = await index({ history: true, filter: { owned_active: false } });
        expect((all.body as Body[]).map((row) => [row[r.idField], row.owned_active, row.parent_active])).toEqual([[ended, false, true]]);
        expect(all.headers['x-pagination-total-count']).toBe('1');
      });
    });
  });
});
