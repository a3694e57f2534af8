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

const BASE = '/v2/org-role';
const PROJECT_A = '7d3c8a9e-1b2f-4c5d-8e6f-0a1b2c3d4e5f';
const PROJECT_B = 'c1d2e3f4-a5b6-4c7d-8e9f-a0b1c2d3e4f5';

interface RoleRow {
  org_role_id: string;
  code: string | null;
  name: string;
  project_id?: string | null;
}

/** A distinct project id per number. */
const projectNo = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

function roleBody(overrides: Record<string, unknown> = {}) {
  return {
    org_role_id: UUID,
    code: null,
    name: 'Manager',
    description: null,
    project_id: null,
    valid_from: null,
    valid_to: null,
    owned_active: true,
    parent_active: true,
    ...overrides,
  };
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
function sortedBy(rows: RoleRow[], compare: (a: RoleRow, b: RoleRow) => number): string[] {
  return [...rows].sort((a, b) => compare(a, b) || cmp(a.org_role_id, b.org_role_id)).map((r) => r.org_role_id);
}

describe('OrgRole API (4HSE dialect)', () => {
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
  beforeEach(() => truncateOrgTables(t));

  const create = (body: Record<string, unknown>) => t.http().post(`${BASE}/create`).set(write).send(body);
  const view = (id: string) => t.http().get(`${BASE}/view/${id}`).set(read);
  const update = (id: string, body: Record<string, unknown>) => t.http().put(`${BASE}/update/${id}`).set(write).send(body);
  const index = (body: Record<string, unknown> = {}) => t.http().post(`${BASE}/index`).set(read).send(body);
  const ids = (res: Response) => (res.body as RoleRow[]).map((r) => r.org_role_id);

  describe('POST /v2/org-role/create', () => {
    it('creates a role and answers 201 with the whole entity', async () => {
      const res = await create({ name: 'Manager' });
      expect(res.status).toBe(201);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual(roleBody());
      expect(await t.sql('select id, code, name, description, project_id, valid_from, valid_to from org_role')).toEqual([
        { id: res.body.org_role_id, code: null, name: 'Manager', description: null, project_id: null, valid_from: null, valid_to: null },
      ]);
    });

    it('creates a role with every field and answers the dates in ISO 8601 UTC with milliseconds', async () => {
      const res = await create({
        code: 'MGR',
        name: 'Manager',
        description: 'Leads the unit',
        project_id: hexId(PROJECT_A),
        valid_from: '2020-01-01',
        valid_to: '2999-01-01T12:30:00.5Z',
      });
      expect(res.status).toBe(201);
      expect(res.body).toEqual(
        roleBody({
          code: 'MGR',
          description: 'Leads the unit',
          project_id: PROJECT_A,
          valid_from: '2020-01-01T00:00:00.000Z',
          valid_to: '2999-01-01T12:30:00.500Z',
        }),
      );
    });

    it('answers 400 naming name when it is missing, writing nothing', async () => {
      expectInvalid(await create({ code: 'MGR' }), ['name']);
      expect((await tableCounts(t)).org_role).toBe(0);
    });

    it.each([
      ['code', 101],
      ['name', 201],
      ['description', 2001],
    ])('rejects a %s longer than its column (%i characters) with 400 naming it', async (field, length) => {
      expectInvalid(await create({ name: 'Manager', [field]: 'x'.repeat(length) }), [field]);
      expect((await tableCounts(t)).org_role).toBe(0);
    });

    it('refuses valid_to before valid_from, naming valid_to', async () => {
      const res = await create({ name: 'Manager', valid_from: '2025-01-02T00:00:00Z', valid_to: '2025-01-01T00:00:00Z' });
      expectInvalid(res, ['valid_to']);
      expect((await tableCounts(t)).org_role).toBe(0);
    });
  });

  describe('code uniqueness within project_id', () => {
    it('answers 409 for a code taken in the same project', async () => {
      await f.role({ code: 'MGR', project_id: PROJECT_A });
      const res = await create({ code: 'MGR', name: 'Manager 2', project_id: hexId(PROJECT_A) });
      expect(res.status).toBe(409);
      expect(res.body).toEqual(problem(409, 'conflict'));
      expect((await tableCounts(t)).org_role).toBe(1);
    });

    it('accepts the same code in another project', async () => {
      await f.role({ code: 'MGR', project_id: PROJECT_A });
      const res = await create({ code: 'MGR', name: 'Manager', project_id: PROJECT_B });
      expect(res.status).toBe(201);
      expect(res.body).toEqual(roleBody({ code: 'MGR', project_id: PROJECT_B }));
    });

    it('answers 409 for a code taken when both roles have no project', async () => {
      await f.role({ code: 'MGR' });
      const res = await create({ code: 'MGR', name: 'Manager' });
      expect(res.status).toBe(409);
      expect((await tableCounts(t)).org_role).toBe(1);
    });

    it('answers 409 when an update takes a code used in the project, changing nothing', async () => {
      await f.role({ code: 'MGR', project_id: PROJECT_A });
      const other = await f.role({ code: 'CLK', project_id: PROJECT_A });
      const res = await update(other, { code: 'MGR' });
      expect(res.status).toBe(409);
      expect(res.body).toEqual(problem(409, 'conflict'));
      expect(await t.sql('select code from org_role where id = ?', [other])).toEqual([{ code: 'CLK' }]);
    });
  });

  describe('PUT /v2/org-role/update', () => {
    let id: string;
    beforeEach(async () => {
      id = await f.role({ name: 'Manager', code: 'MGR', description: 'Leads', project_id: PROJECT_A });
    });

    it('updates only the fields sent (path form)', async () => {
      const res = await update(id, { description: 'Leads the unit' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(roleBody({ org_role_id: id, code: 'MGR', description: 'Leads the unit', project_id: PROJECT_A }));
      expect(await t.sql('select name, code, description from org_role')).toEqual([
        { name: 'Manager', code: 'MGR', description: 'Leads the unit' },
      ]);
    });
  });

  describe('DELETE /v2/org-role/delete', () => {
    const del = (id: string, query = '', token = write) => t.http().delete(`${BASE}/delete/${id}${query}`).set(token);

    /** A role held by three assignments, and another role held by one. */
    async function populated() {
      const role = await f.role({ name: 'Manager', code: 'MGR' });
      const otherRole = await f.role({ name: 'Clerk' });
      const [eng, sales] = [await f.unit({ name: 'Engineering' }), await f.unit({ name: 'Sales' })];
      const [ada, grace] = [
        await f.person({ firstName: 'Ada', lastName: 'Lovelace' }),
        await f.person({ firstName: 'Grace', lastName: 'Hopper' }),
      ];
      const held = [
        await f.assignment({ person_id: ada, org_unit_id: eng, org_role_id: role }),
        await f.assignment({ person_id: ada, org_unit_id: sales, org_role_id: role }),
        await f.assignment({ person_id: grace, org_unit_id: eng, org_role_id: role }),
      ];
      const unrelated = [
        await f.assignment({ person_id: grace, org_unit_id: sales, org_role_id: otherRole }),
        await f.assignment({ person_id: grace, org_unit_id: sales }),
      ];
      return { role, otherRole, held, unrelated };
    }

    it('refuses to delete a role held by assignments, listing them, changing nothing', async () => {
      const r = await populated();
      const before = await tableCounts(t);
      const res = await del(r.role);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(problem(400, 'related-entities', { related: { counts: { 'org-person': 3 }, items: expect.any(Array) } }));
      expect(byTypeAndId(res.body.related.items)).toEqual(
        byTypeAndId(r.held.map((id) => ({ type: 'org-person', id, label: expect.stringContaining('Manager') }))),
      );
      expect(await tableCounts(t)).toEqual(before);
    });

    it('treats force=false like no force', async () => {
      const r = await populated();
      const before = await tableCounts(t);
      const res = await del(r.role, '?force=false', admin);
      expect(res.status).toBe(400);
      expect(res.body.related.counts).toEqual({ 'org-person': 3 });
      expect(await tableCounts(t)).toEqual(before);
    });

    it.each(['true', '1'])('deletes the role and its assignments with force=%s as Administrator, nothing else', async (force) => {
      const r = await populated();
      const res = await del(r.role, `?force=${force}`, admin);
      expect(res.status).toBe(204);
      expect(await t.sql('select id from org_role')).toEqual([{ id: r.otherRole }]);
      expect((await t.sql<{ id: string }>('select id from org_person')).map((row) => row.id).sort()).toEqual([...r.unrelated].sort());
      expect(await tableCounts(t)).toEqual({ person: 2, org_unit: 2, org_role: 1, org_person: 2 });
    });

    it('historicizes instead of deleting with historicize=true, keeping the role and its assignments', async () => {
      const r = await populated();
      const before = await tableCounts(t);
      const res = await del(r.role, '?historicize=1');
      expect(res.status).toBe(204);
      expect(await tableCounts(t)).toEqual(before);
      const [row] = await t.sql<{ valid_to: string }>('select valid_to from org_role where id = ?', [r.role]);
      expect(Math.abs(new Date(row.valid_to).getTime() - Date.now())).toBeLessThan(10_000);
      expect((await view(r.role)).body).toMatchObject({ owned_active: false, parent_active: true });
    });
  });

  describe('POST /v2/org-role/index', () => {
    it.each([
      ['a filter key of another resource', { filter: { parent_org_unit_id: null } }, 'filter.parent_org_unit_id'],
      ['an unknown sort field', { sort: 'person_last_name' }, 'sort'],
    ])('answers 400 naming the field for %s', async (_label, body, field) => {
      const res = await index(body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(problem(400, 'validation-error', { errors: expect.any(Array) }));
      expect(errorFields(res)).toEqual([field]);
    });

    describe('sorting and paging', () => {
      let rows: RoleRow[];
      beforeEach(async () => {
        rows = [];
        for (let i = 0; i < 25; i++) {
          // Codes repeat across projects (one project per role), names repeat too.
          const spec = { name: `role ${'abc'[i % 3]}`, code: `c${i % 4}`, project_id: projectNo(i) };
          rows.push({ org_role_id: await f.role(spec), code: spec.code, name: spec.name, project_id: spec.project_id });
        }
      });

      it('sorts by name, -name and "code,name" with the id as final tiebreaker', async () => {
        const all = { 'per-page': 100 };
        expect(ids(await index({ ...all, sort: 'name' }))).toEqual(sortedBy(rows, (a, b) => cmp(a.name, b.name)));
        expect(ids(await index({ ...all, sort: '-name' }))).toEqual(sortedBy(rows, (a, b) => cmp(b.name, a.name)));
        expect(ids(await index({ ...all, sort: 'code,name' }))).toEqual(
          sortedBy(rows, (a, b) => cmp(a.code ?? '', b.code ?? '') || cmp(a.name, b.name)),
        );
      });

      it('returns every row exactly once when paging by 4 through a result sorted by a non-unique field', async () => {
        const seen: string[] = [];
        for (let page = 1; page <= 7; page++) {
          const res = await index({ sort: 'name', 'per-page': 4, page });
          expect(res.status).toBe(200);
          expect(res.headers['x-pagination-page-count']).toBe('7');
          expect(res.headers['x-pagination-total-count']).toBe('25');
          seen.push(...ids(res));
        }
        expect(seen).toEqual(sortedBy(rows, (a, b) => cmp(a.name, b.name)));
        expect(new Set(seen).size).toBe(25);
      });

      it('filters by project_id, name substring and exact code', async () => {
        const inProject = await index({ filter: { project_id: hexId(projectNo(7)) } });
        expect(ids(inProject)).toEqual([rows[7].org_role_id]);
        const byName = await index({ filter: { name: 'ROLE B' }, 'per-page': 100, sort: 'name' });
        expect(ids(byName)).toEqual(
          sortedBy(
            rows.filter((r) => r.name === 'role b'),
            () => 0,
          ),
        );
        const byCode = await index({ filter: { code: 'c0' }, 'per-page': 100 });
        expect(ids(byCode)).toEqual(
          sortedBy(
            rows.filter((r) => r.code === 'c0'),
            () => 0,
          ),
        );
        expect(byCode.body).toHaveLength(7);
      });
    });
  });
});
