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

const BASE = '/v2/org-unit';
const PROJECT_A = '7d3c8a9e-1b2f-4c5d-8e6f-0a1b2c3d4e5f';
const PROJECT_B = 'c1d2e3f4-a5b6-4c7d-8e9f-a0b1c2d3e4f5';
const CLIENT_ID = '122b7448-dce7-2057-574d-59f93d456e54';
const MISSING_ID = '00000000-0000-4000-8000-000000000000';

interface UnitRow {
  org_unit_id: string;
  code: string | null;
  name: string;
}

function unitBody(overrides: Record<string, unknown> = {}) {
  return {
    org_unit_id: UUID,
    code: null,
    name: 'Engineering',
    description: null,
    parent_org_unit_id: null,
    project_id: null,
    external_id: null,
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

/** The order the API promises: the given comparison, then the id ascending. */
function sortedBy<T extends { org_unit_id: string }>(rows: T[], compare: (a: T, b: T) => number): string[] {
  return [...rows]
    .sort((a, b) => compare(a, b) || (a.org_unit_id < b.org_unit_id ? -1 : a.org_unit_id > b.org_unit_id ? 1 : 0))
    .map((r) => r.org_unit_id);
}
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

describe('OrgUnit API (4HSE dialect)', () => {
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
  const ids = (res: Response) => (res.body as UnitRow[]).map((u) => u.org_unit_id);

  /** root -> child -> grandchild, plus an unrelated root. */
  async function tree() {
    const root = await f.unit({ name: 'Root', code: 'R' });
    const child = await f.unit({ name: 'Child', code: 'C', parent_org_unit_id: root });
    const grandchild = await f.unit({ name: 'Grandchild', code: 'G', parent_org_unit_id: child });
    const other = await f.unit({ name: 'Other', code: 'O' });
    return { root, child, grandchild, other };
  }

  describe('POST /v2/org-unit/create', () => {
    it('creates a root unit and answers 201 with the whole entity', async () => {
      const res = await create({ name: 'Engineering' });
      expect(res.status).toBe(201);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual(unitBody());
      const rows = await t.sql('select id, code, name, description, parent_id, project_id, valid_from, valid_to from org_unit');
      expect(rows).toEqual([
        {
          id: res.body.org_unit_id,
          code: null,
          name: 'Engineering',
          description: null,
          parent_id: null,
          project_id: null,
          valid_from: null,
          valid_to: null,
        },
      ]);
    });

    it('creates a unit with every field and answers the dates in ISO 8601 UTC with milliseconds', async () => {
      const parent = await f.unit({ name: 'Company', project_id: PROJECT_A });
      const res = await create({
        code: 'ENG',
        name: 'Engineering',
        description: 'Builds things',
        parent_org_unit_id: hexId(parent),
        project_id: hexId(PROJECT_A),
        valid_from: '2020-01-01T00:00:00Z',
        valid_to: '2999-12-31T23:00:00+01:00',
      });
      expect(res.status).toBe(201);
      expect(res.body).toEqual(
        unitBody({
          code: 'ENG',
          description: 'Builds things',
          parent_org_unit_id: parent,
          project_id: PROJECT_A,
          valid_from: '2020-01-01T00:00:00.000Z',
          valid_to: '2999-12-31T22:00:00.000Z',
        }),
      );
    });

    it('answers 400 naming name when it is missing', async () => {
      const res = await create({ code: 'ENG' });
      expectInvalid(res, ['name']);
      expect((await tableCounts(t)).org_unit).toBe(0);
    });

    it('answers 400 naming a blank name', async () => {
      expectInvalid(await create({ name: '   ' }), ['name']);
    });

    it.each([
      ['code', 101],
      ['name', 201],
      ['description', 2001],
    ])('rejects a %s longer than its column (%i characters) with 400 naming it', async (field, length) => {
      const res = await create({ name: 'Engineering', [field]: 'x'.repeat(length) });
      expectInvalid(res, [field]);
      expect((await tableCounts(t)).org_unit).toBe(0);
    });

    it('accepts strings exactly as long as their columns', async () => {
      const res = await create({ code: 'c'.repeat(100), name: 'n'.repeat(200), description: 'd'.repeat(2000) });
      expect(res.status).toBe(201);
      expect(res.body).toEqual(unitBody({ code: 'c'.repeat(100), name: 'n'.repeat(200), description: 'd'.repeat(2000) }));
    });

    it.each([
      ['an id that is not a UUID', { org_unit_id: 'abc' }, 'org_unit_id'],
      ['a project_id that is not a UUID', { project_id: 42 }, 'project_id'],
      ['a date that is not ISO 8601', { valid_from: 'yesterday' }, 'valid_from'],
      ['a name that is not a string', { name: 7 }, 'name'],
    ])('rejects %s with 400 naming it', async (_label, body, field) => {
      expectInvalid(await create({ name: 'Engineering', ...body }), [field]);
      expect((await tableCounts(t)).org_unit).toBe(0);
    });

    it('refuses valid_to before valid_from, naming valid_to', async () => {
      const res = await create({ name: 'Engineering', valid_from: '2025-01-02T00:00:00Z', valid_to: '2025-01-01T00:00:00Z' });
      expectInvalid(res, ['valid_to']);
      expect((await tableCounts(t)).org_unit).toBe(0);
    });

    it('refuses valid_to equal to valid_from (an empty period)', async () => {
      const res = await create({ name: 'Engineering', valid_from: '2025-01-01T00:00:00Z', valid_to: '2025-01-01T00:00:00.000Z' });
      expectInvalid(res, ['valid_to']);
    });
  });

  describe("external_id (the identity provider's id, contract section 1)", () => {
    it('is stored as sent on create (case kept, not unique) and carried by create, view, index and update', async () => {
      const first = await create({ name: 'Engineering', external_id: 'Okta-00gAbC' });
      expect(first.status).toBe(201);
      expect(first.body).toEqual(unitBody({ external_id: 'Okta-00gAbC' }));
      const second = await create({ name: 'Sales', external_id: 'Okta-00gAbC' });
      expect(second.status).toBe(201);
      expect((await view(first.body.org_unit_id)).body).toEqual(
        unitBody({ org_unit_id: first.body.org_unit_id, external_id: 'Okta-00gAbC' }),
      );
      expect((await index({ sort: 'name' })).body).toEqual([
        unitBody({ org_unit_id: first.body.org_unit_id, external_id: 'Okta-00gAbC' }),
        unitBody({ org_unit_id: second.body.org_unit_id, name: 'Sales', external_id: 'Okta-00gAbC' }),
      ]);

      const changed = await update(first.body.org_unit_id, { external_id: 'okta-00GABC' });
      expect(changed.body).toEqual(unitBody({ org_unit_id: first.body.org_unit_id, external_id: 'okta-00GABC' }));
      const kept = await update(first.body.org_unit_id, { name: 'Platform' });
      expect(kept.body).toEqual(unitBody({ org_unit_id: first.body.org_unit_id, name: 'Platform', external_id: 'okta-00GABC' }));
      const cleared = await update(first.body.org_unit_id, { external_id: null });
      expect(cleared.body).toEqual(unitBody({ org_unit_id: first.body.org_unit_id, name: 'Platform' }));
      expect(await t.sql('select external_id from org_unit order by name')).toEqual([
        { external_id: null },
        { external_id: 'Okta-00gAbC' },
      ]);
    });

    it('accepts 255 characters and refuses 256, a number and control characters with a 400 naming external_id', async () => {
      expect((await create({ name: 'Long', external_id: 'x'.repeat(255) })).status).toBe(201);
      expectInvalid(await create({ name: 'Longer', external_id: 'x'.repeat(256) }), ['external_id']);
      expectInvalid(await create({ name: 'Number', external_id: 42 }), ['external_id']);
      expectInvalid(await create({ name: 'Control', external_id: 'a\u0007b' }), ['external_id']);
      expect((await tableCounts(t)).org_unit).toBe(1);
    });

    it('records external_id in the change log of a create and an update', async () => {
      const res = await create({ name: 'Engineering', external_id: 'E1' });
      await update(res.body.org_unit_id, { external_id: 'E2' });
      const events = await t.sql<{ op: string; changed: string[]; ext: string | null }>(
        "select op, changed, after ->> 'external_id' as ext from change_event where entity_id = ? order by seq",
        [res.body.org_unit_id],
      );
      expect(events).toEqual([
        { op: 'create', changed: expect.arrayContaining(['external_id']), ext: 'E1' },
        { op: 'update', changed: ['external_id'], ext: 'E2' },
      ]);
    });
  });

  describe('code uniqueness within project_id', () => {
    it('answers 409 for a code taken in the same project', async () => {
      await f.unit({ code: 'ENG', project_id: PROJECT_A });
      const res = await create({ code: 'ENG', name: 'Engineering 2', project_id: PROJECT_A });
      expect(res.status).toBe(409);
      expect(res.body).toEqual(problem(409, 'conflict'));
      expect((await tableCounts(t)).org_unit).toBe(1);
    });

    it('accepts the same code in another project', async () => {
      await f.unit({ code: 'ENG', project_id: PROJECT_A });
      const res = await create({ code: 'ENG', name: 'Engineering', project_id: PROJECT_B });
      expect(res.status).toBe(201);
      expect(res.body).toEqual(unitBody({ code: 'ENG', project_id: PROJECT_B }));
    });

    it('accepts the same code in a project and without a project', async () => {
      await f.unit({ code: 'ENG', project_id: PROJECT_A });
      expect((await create({ code: 'ENG', name: 'Engineering' })).status).toBe(201);
    });

    it('answers 409 for a code taken when both units have no project', async () => {
      await f.unit({ code: 'ENG' });
      const res = await create({ code: 'ENG', name: 'Engineering', project_id: null });
      expect(res.status).toBe(409);
      expect(res.body).toEqual(problem(409, 'conflict'));
      expect((await tableCounts(t)).org_unit).toBe(1);
    });

    it('allows any number of units without a code in one project', async () => {
      await f.unit({ project_id: PROJECT_A });
      expect((await create({ name: 'Engineering', project_id: PROJECT_A })).status).toBe(201);
      expect((await create({ name: 'Engineering', project_id: PROJECT_A, code: null })).status).toBe(201);
    });
  });

  describe('the tree', () => {
    it('refuses a parent that does not exist, naming parent_org_unit_id and writing nothing', async () => {
      const res = await create({ name: 'Orphan', parent_org_unit_id: MISSING_ID });
      expectInvalid(res, ['parent_org_unit_id']);
      expect((await tableCounts(t)).org_unit).toBe(0);
    });

    it('refuses a new unit that names its own (client-supplied) id as parent', async () => {
      expectInvalid(await create({ org_unit_id: CLIENT_ID, name: 'Loop', parent_org_unit_id: CLIENT_ID }), ['parent_org_unit_id']);
      expect((await tableCounts(t)).org_unit).toBe(0);
    });

    it('refuses moving a unit under itself: "would create a cycle"', async () => {
      const { root } = await tree();
      const res = await update(root, { parent_org_unit_id: hexId(root) });
      expectInvalid(res, ['parent_org_unit_id']);
      expect(res.body.errors).toEqual([{ field: 'parent_org_unit_id', message: expect.stringContaining('would create a cycle') }]);
      expect(await t.sql('select parent_id from org_unit where id = ?', [root])).toEqual([{ parent_id: null }]);
    });

    it.each(['child', 'grandchild'] as const)('refuses moving a unit under its %s: "would create a cycle"', async (which) => {
      const units = await tree();
      const res = await update(units.root, { parent_org_unit_id: units[which] });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(
        problem(400, 'validation-error', {
          errors: [{ field: 'parent_org_unit_id', message: expect.stringContaining('would create a cycle') }],
        }),
      );
      expect(await t.sql('select parent_id from org_unit where id = ?', [units.root])).toEqual([{ parent_id: null }]);
    });

    it('moves a unit with its subtree under another parent', async () => {
      const { root, child, grandchild, other } = await tree();
      const res = await update(child, { parent_org_unit_id: other });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(unitBody({ org_unit_id: child, code: 'C', name: 'Child', parent_org_unit_id: other }));
      expect(ids(await index({ filter: { parent_org_unit_id: other } }))).toEqual([child]);
      expect(ids(await index({ filter: { parent_org_unit_id: root } }))).toEqual([]);
      expect(ids(await index({ filter: { parent_org_unit_id: child } }))).toEqual([grandchild]);
    });

    it('moves a unit to the roots with parent_org_unit_id null', async () => {
      const { child } = await tree();
      const res = await update(child, { parent_org_unit_id: null });
      expect(res.status).toBe(200);
      expect(res.body.parent_org_unit_id).toBeNull();
      expect(await t.sql('select parent_id from org_unit where id = ?', [child])).toEqual([{ parent_id: null }]);
    });

    it('refuses moving a unit under a parent that does not exist', async () => {
      const { child, root } = await tree();
      expectInvalid(await update(child, { parent_org_unit_id: MISSING_ID }), ['parent_org_unit_id']);
      expect(await t.sql('select parent_id from org_unit where id = ?', [child])).toEqual([{ parent_id: root }]);
    });

    it('lists only the roots with filter parent_org_unit_id null', async () => {
      const { root, other } = await tree();
      const res = await index({ filter: { parent_org_unit_id: null }, sort: 'name' });
      expect(res.status).toBe(200);
      expect(ids(res)).toEqual([other, root]);
      expect(res.headers['x-pagination-total-count']).toBe('2');
    });

    it('lists only the direct children with filter parent_org_unit_id X (not the grandchildren)', async () => {
      const { root, child } = await tree();
      const sibling = await f.unit({ name: 'Sibling', parent_org_unit_id: root });
      const res = await index({ filter: { parent_org_unit_id: hexId(root) }, sort: 'name' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual([
        unitBody({ org_unit_id: child, code: 'C', name: 'Child', parent_org_unit_id: root }),
        unitBody({ org_unit_id: sibling, name: 'Sibling', parent_org_unit_id: root }),
      ]);
    });
  });

  describe('PUT /v2/org-unit/update', () => {
    let id: string;
    beforeEach(async () => {
      id = await f.unit({ name: 'Engineering', code: 'ENG', description: 'Builds things', project_id: PROJECT_A });
    });

    it('updates only the fields sent (path form)', async () => {
      const res = await update(id, { name: 'Platform Engineering' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(
        unitBody({ org_unit_id: id, code: 'ENG', name: 'Platform Engineering', description: 'Builds things', project_id: PROJECT_A }),
      );
      expect(await t.sql('select name, code, description from org_unit where id = ?', [id])).toEqual([
        { name: 'Platform Engineering', code: 'ENG', description: 'Builds things' },
      ]);
    });

    it('answers 409 when the code is changed to one taken in the project, changing nothing', async () => {
      const other = await f.unit({ name: 'Sales', code: 'SAL', project_id: PROJECT_A });
      const res = await update(other, { code: 'ENG' });
      expect(res.status).toBe(409);
      expect(res.body).toEqual(problem(409, 'conflict'));
      expect(await t.sql('select code from org_unit where id = ?', [other])).toEqual([{ code: 'SAL' }]);
    });

    it('answers 409 when the project is changed to one where the code is taken', async () => {
      const other = await f.unit({ name: 'Engineering B', code: 'ENG', project_id: PROJECT_B });
      const res = await update(other, { project_id: PROJECT_A });
      expect(res.status).toBe(409);
    });

    it('keeps its own code without a conflict', async () => {
      const res = await update(id, { code: 'ENG', name: 'Engineering' });
      expect(res.status).toBe(200);
    });

    it('refuses null for the required name and an over-long name', async () => {
      expectInvalid(await update(id, { name: null }), ['name']);
      expectInvalid(await update(id, { name: 'x'.repeat(201) }), ['name']);
      expect(await t.sql('select name from org_unit')).toEqual([{ name: 'Engineering' }]);
    });

    it('refuses valid_to before the stored valid_from', async () => {
      await update(id, { valid_from: '2025-06-01T00:00:00Z' });
      expectInvalid(await update(id, { valid_to: '2025-05-01T00:00:00Z' }), ['valid_to']);
    });
  });

  describe('DELETE /v2/org-unit/delete', () => {
    const del = (id: string, query = '', token = write) => t.http().delete(`${BASE}/delete/${id}${query}`).set(token);

    /** Root with child and grandchild, an assignment in each; plus an unrelated unit with one assignment. */
    async function populated() {
      const units = await tree();
      const [ada, grace, alan, other] = [
        await f.person({ firstName: 'Ada', lastName: 'Lovelace' }),
        await f.person({ firstName: 'Grace', lastName: 'Hopper' }),
        await f.person({ firstName: 'Alan', lastName: 'Turing' }),
        await f.person(),
      ];
      const role = await f.role({ name: 'Lead' });
      const assignments = {
        inRoot: await f.assignment({ person_id: ada, org_unit_id: units.root, org_role_id: role }),
        inChild: await f.assignment({ person_id: grace, org_unit_id: units.child }),
        inGrandchild: await f.assignment({ person_id: alan, org_unit_id: units.grandchild }),
        elsewhere: await f.assignment({ person_id: other, org_unit_id: units.other }),
      };
      return { ...units, assignments };
    }

    it('refuses to delete a unit with descendants and assignments, listing what force would remove, changing nothing', async () => {
      const u = await populated();
      const before = await tableCounts(t);
      const res = await del(u.root);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toEqual(
        problem(400, 'related-entities', {
          related: { counts: { 'org-unit': 2, 'org-person': 3 }, items: expect.any(Array) },
        }),
      );
      expect(byTypeAndId(res.body.related.items)).toEqual(
        byTypeAndId([
          { type: 'org-unit', id: u.child, label: expect.stringContaining('Child') },
          { type: 'org-unit', id: u.grandchild, label: expect.stringContaining('Grandchild') },
          { type: 'org-person', id: u.assignments.inRoot, label: expect.any(String) },
          { type: 'org-person', id: u.assignments.inChild, label: expect.any(String) },
          { type: 'org-person', id: u.assignments.inGrandchild, label: expect.any(String) },
        ]),
      );
      expect(await tableCounts(t)).toEqual(before);
    });

    it('lists only the assignments when a leaf unit has some', async () => {
      const u = await populated();
      const res = await del(u.grandchild);
      expect(res.status).toBe(400);
      expect(res.body.related).toEqual({
        counts: { 'org-person': 1 },
        items: [{ type: 'org-person', id: u.assignments.inGrandchild, label: expect.stringContaining('Turing') }],
      });
    });

    it('counts every related entity but lists only the first 100', async () => {
      const root = await f.unit({ name: 'Root' });
      const child = await f.unit({ name: 'Child', parent_org_unit_id: root });
      await t.sql(
        `insert into person (id, email, first_name, last_name)
           select gen_random_uuid(), 'bulk' || n || '@example.com', 'Bulk', 'Person ' || n from generate_series(1, 120) n`,
      );
      await t.sql('insert into org_person (id, person_id, org_unit_id) select gen_random_uuid(), id, ? from person', [child]);
      const related = new Set([child, ...(await t.sql<{ id: string }>('select id from org_person')).map((r) => r.id)]);
      const res = await del(root);
      expect(res.status).toBe(400);
      expect(res.body.related.counts).toEqual({ 'org-unit': 1, 'org-person': 120 });
      const items = res.body.related.items as { type: string; id: string }[];
      expect(items).toHaveLength(100);
      expect(new Set(items.map((i) => i.id)).size).toBe(100);
      for (const item of items) expect(related.has(item.id)).toBe(true);
      expect(await tableCounts(t)).toEqual({ person: 120, org_unit: 2, org_role: 0, org_person: 120 });
      expect((await del(root, '?force=true', admin)).status).toBe(204);
      expect(await tableCounts(t)).toEqual({ person: 120, org_unit: 0, org_role: 0, org_person: 0 });
    });

    it('treats force=false like no force', async () => {
      const u = await populated();
      const before = await tableCounts(t);
      const res = await del(u.root, '?force=false', admin);
      expect(res.status).toBe(400);
      expect(res.body.related.counts).toEqual({ 'org-unit': 2, 'org-person': 3 });
      expect(await tableCounts(t)).toEqual(before);
    });

    it.each(['true', '1'])('deletes the unit, its descendants and their assignments with force=%s as Administrator', async (force) => {
      const u = await populated();
      const res = await del(u.root, `?force=${force}`, admin);
      expect(res.status).toBe(204);
      expect(await t.sql('select id from org_unit')).toEqual([{ id: u.other }]);
      expect(await t.sql('select id from org_person')).toEqual([{ id: u.assignments.elsewhere }]);
      expect(await tableCounts(t)).toEqual({ person: 4, org_unit: 1, org_role: 1, org_person: 1 });
    });

    it('deletes with force=true through the ?id= form', async () => {
      const u = await populated();
      const res = await t.http().delete(`${BASE}/delete?id=${u.child}&force=true`).set(admin);
      expect(res.status).toBe(204);
      expect(await tableCounts(t)).toEqual({ person: 4, org_unit: 2, org_role: 1, org_person: 2 });
    });

    it('historicizes instead of deleting with historicize=true: valid_to set, row kept, children untouched', async () => {
      const u = await populated();
      const before = await tableCounts(t);
      const res = await del(u.root, '?historicize=true');
      expect(res.status).toBe(204);
      expect(await tableCounts(t)).toEqual(before);
      const [row] = await t.sql<{ valid_to: string }>('select valid_to from org_unit where id = ?', [u.root]);
      expect(Math.abs(new Date(row.valid_to).getTime() - Date.now())).toBeLessThan(10_000);
      expect(await t.sql('select count(*)::int as n from org_unit where valid_to is not null')).toEqual([{ n: 1 }]);
      expect((await view(u.root)).body).toEqual(
        unitBody({ org_unit_id: u.root, code: 'R', name: 'Root', valid_to: expect.any(String), owned_active: false }),
      );
    });
  });

  describe('POST /v2/org-unit/index', () => {
    it.each([
      ['parent_org_unit_id that is not a UUID', { filter: { parent_org_unit_id: 'root' } }, 'filter.parent_org_unit_id'],
      ['name as a number', { filter: { name: 5 } }, 'filter.name'],
    ])('answers 400 naming the field for %s', async (_label, body, field) => {
      const res = await index(body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(problem(400, 'validation-error', { errors: expect.any(Array) }));
      expect(errorFields(res)).toEqual([field]);
    });

    describe('sorting', () => {
      let rows: UnitRow[];
      beforeEach(async () => {
        const specs = [
          { code: 'B', name: 'beta' },
          { code: 'A', name: 'gamma' },
          { code: 'B', name: 'alpha', project_id: PROJECT_A },
          { code: 'A', name: 'beta', project_id: PROJECT_A },
          { code: 'B', name: 'beta', project_id: PROJECT_B },
          { code: 'C', name: 'alpha', project_id: PROJECT_B },
        ];
        rows = [];
        for (const spec of specs) rows.push({ org_unit_id: await f.unit(spec), code: spec.code, name: spec.name });
      });

      it('sorts by name ascending with the id as final tiebreaker', async () => {
        const res = await index({ sort: 'name' });
        expect(res.status).toBe(200);
        expect(ids(res)).toEqual(sortedBy(rows, (a, b) => cmp(a.name, b.name)));
      });

      it('sorts by -name descending with the id (ascending) as final tiebreaker', async () => {
        const res = await index({ sort: '-name' });
        expect(ids(res)).toEqual(sortedBy(rows, (a, b) => cmp(b.name, a.name)));
      });

      it('sorts by "code,name" with the id as final tiebreaker', async () => {
        const res = await index({ sort: 'code,name' });
        expect(ids(res)).toEqual(sortedBy(rows, (a, b) => cmp(a.code ?? '', b.code ?? '') || cmp(a.name, b.name)));
      });

      it('sorts by "-code,name"', async () => {
        const res = await index({ sort: '-code,name' });
        expect(ids(res)).toEqual(sortedBy(rows, (a, b) => cmp(b.code ?? '', a.code ?? '') || cmp(a.name, b.name)));
      });

      it('orders by id when no sort is given', async () => {
        const res = await index({});
        expect(ids(res)).toEqual(sortedBy(rows, () => 0));
      });
    });

    describe('paging through a result sorted by a non-unique field', () => {
      let all: string[];
      beforeEach(async () => {
        all = [];
        for (let i = 0; i < 25; i++) all.push(await f.unit({ name: `unit ${i % 3}` }));
      });

      it.each(['name', '-name'])('returns every row exactly once across pages of 4, sorted by %s', async (sort) => {
        const seen: string[] = [];
        for (let page = 1; page <= 7; page++) {
          const res = await index({ sort, 'per-page': 4, page });
          expect(res.status).toBe(200);
          expect(res.headers['x-pagination-current-page']).toBe(String(page));
          expect(res.headers['x-pagination-page-count']).toBe('7');
          expect(res.headers['x-pagination-per-page']).toBe('4');
          expect(res.headers['x-pagination-total-count']).toBe('25');
          expect(res.body).toHaveLength(page < 7 ? 4 : 1);
          seen.push(...ids(res));
        }
        expect(seen).toHaveLength(25);
        expect(new Set(seen).size).toBe(25);
        expect([...seen].sort()).toEqual([...all].sort());
        const whole = await index({ sort, 'per-page': 25 });
        expect(ids(whole)).toEqual(seen);
      });
    });

    describe('filters', () => {
      let u: Record<'eng' | 'eng2' | 'sales' | 'ops', string>;
      beforeEach(async () => {
        u = {
          eng: await f.unit({ name: 'Engineering', code: 'ENG', description: 'Builds things', project_id: PROJECT_A }),
          eng2: await f.unit({ name: 'Reverse ENGINEERING', code: 'REV', description: 'builds nothing', project_id: PROJECT_B }),
          sales: await f.unit({ name: 'Sales', code: 'SAL', project_id: PROJECT_A }),
          ops: await f.unit({ name: '100%_ops', code: 'OPS' }),
        };
      });
      const filtered = async (filter: Record<string, unknown>) => {
        const res = await index({ filter, sort: 'code' });
        expect(res.status).toBe(200);
        return ids(res);
      };

      it('filters by a case-insensitive substring of name', async () => {
        expect(await filtered({ name: 'engineer' })).toEqual([u.eng, u.eng2]);
      });

      it('matches LIKE wildcards in name literally', async () => {
        expect(await filtered({ name: '%_' })).toEqual([u.ops]);
        expect(await filtered({ name: '_' })).toEqual([u.ops]);
      });

      it('filters by a case-sensitive substring of description', async () => {
        expect(await filtered({ description: 'Builds' })).toEqual([u.eng]);
      });

      it('filters by exact code', async () => {
        expect(await filtered({ code: 'ENG' })).toEqual([u.eng]);
        expect(await filtered({ code: 'EN' })).toEqual([]);
      });

      it('filters by project_id in either id form', async () => {
        expect(await filtered({ project_id: hexId(PROJECT_A) })).toEqual([u.eng, u.sales]);
      });

      it('filters by org_unit_id', async () => {
        expect(await filtered({ org_unit_id: hexId(u.sales) })).toEqual([u.sales]);
      });

      it('combines filters with AND', async () => {
        expect(await filtered({ project_id: PROJECT_A, name: 'sal' })).toEqual([u.sales]);
      });
    });
  });
});
