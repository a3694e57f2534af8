import type { Response } from 'supertest';
import { bearer, createTestApp, problem, type TestApp } from '../support/test-app.js';
import { errorFields, hexId, orgFactories, tableCounts, truncateOrgTables, type OrgFactories } from '../support/org-factories.js';

const PEOPLE = '/api/v2/data/people';
const MISSING_ID = '00000000-0000-4000-8000-000000000000';
const FUTURE = '2999-06-30T12:00:00.000Z';
const PAST = '2021-01-01T00:00:00.000Z';

type Resource = 'org-unit' | 'org-role' | 'org-person';
const ID_FIELD = { 'org-unit': 'org_unit_id', 'org-role': 'org_role_id', 'org-person': 'org_person_id' } as const;
const TABLE = { 'org-unit': 'org_unit', 'org-role': 'org_role', 'org-person': 'org_person' } as const;
const RESOURCES: Resource[] = ['org-unit', 'org-role', 'org-person'];

interface Flags {
  owned_active: boolean;
  parent_active: boolean;
}

/** Milliseconds between an ISO string and now. */
const ageOf = (iso: string) => Math.abs(Date.parse(iso) - Date.now());

describe('History (4HSE historicization)', () => {
  let t: TestApp;
  let f: OrgFactories;
  let write: Record<string, string>;
  let read: Record<string, string>;

  beforeAll(async () => {
    t = await createTestApp();
    f = orgFactories(t);
    write = bearer(t.tokens.powerUser);
    read = bearer(t.tokens.viewer);
  });
  afterAll(() => t.close());
  beforeEach(() => truncateOrgTables(t));

  /** Creates one entity of the resource (an assignment gets a fresh person and unit). */
  async function make(res: Resource, fields: Record<string, unknown> = {}): Promise<string> {
    if (res === 'org-unit') return f.unit(fields);
    if (res === 'org-role') return f.role(fields);
    return f.assignment({ person_id: await f.person(), org_unit_id: await f.unit(), ...fields });
  }
  const historicize = (res: Resource, id: string, body?: Record<string, unknown>) => {
    const req = t.http().post(`/v2/${res}/historicize/${id}`).set(write);
    return body === undefined ? req : req.send(body);
  };
  const view = (res: Resource, id: string) => t.http().get(`/v2/${res}/view/${id}`).set(read);
  const index = (res: Resource, body: Record<string, unknown> = {}) => t.http().post(`/v2/${res}/index`).set(read).send(body);
  const idsOf = (res: Resource, response: Response) =>
    (response.body as Record<string, string>[]).map((row) => row[ID_FIELD[res]]).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const sorted = (ids: string[]) => [...ids].sort();
  const flagsOf = (response: Response): Flags => ({
    owned_active: (response.body as Flags).owned_active,
    parent_active: (response.body as Flags).parent_active,
  });

  describe.each(RESOURCES)('POST /v2/%s/historicize/{id}', (res) => {
    it('without a body sets valid_to to now, answers owned_active false and keeps the row', async () => {
      const id = await make(res);
      const response = await historicize(res, id);
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.body).toMatchObject({ [ID_FIELD[res]]: id, valid_from: null, owned_active: false, parent_active: true });
      expect(response.body.valid_to).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(ageOf(response.body.valid_to)).toBeLessThan(10_000);
      const [row] = await t.sql<{ valid_to: string }>(`select valid_to from ${TABLE[res]} where id = ?`, [id]);
      expect(new Date(row.valid_to).toISOString()).toBe(response.body.valid_to);
      expect((await view(res, id)).body).toEqual(response.body);
    });

    it('with an empty JSON object behaves like no body', async () => {
      const id = await make(res);
      const response = await historicize(res, id, {});
      expect(response.status).toBe(200);
      expect(response.body.owned_active).toBe(false);
      expect(ageOf(response.body.valid_to)).toBeLessThan(10_000);
    });

    it('with a future date sets valid_to to it and stays active (and listed)', async () => {
      const id = await make(res);
      const response = await historicize(res, id, { date: '2999-06-30T14:00:00+02:00' });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ [ID_FIELD[res]]: id, valid_to: FUTURE, owned_active: true, parent_active: true });
      expect(idsOf(res, await index(res))).toContain(id);
    });

    it('with a date in the past ends the validity then', async () => {
      const id = await make(res, { valid_from: '2020-01-01T00:00:00Z' });
      const response = await historicize(res, id, { date: PAST });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ valid_from: '2020-01-01T00:00:00.000Z', valid_to: PAST, owned_active: false });
    });

    it.each([
      ['before valid_from', '2024-12-31T00:00:00Z'],
      ['equal to valid_from', '2025-01-01T00:00:00.000Z'],
    ])('refuses a date %s with 400 naming date, changing nothing', async (_label, date) => {
      const id = await make(res, { valid_from: '2025-01-01T00:00:00Z' });
      const response = await historicize(res, id, { date });
      expect(response.status).toBe(400);
      expect(response.body).toEqual(problem(400, 'validation-error', { errors: [{ field: 'date', message: expect.any(String) }] }));
      expect(await t.sql(`select valid_to from ${TABLE[res]} where id = ?`, [id])).toEqual([{ valid_to: null }]);
    });

    it('refuses a malformed date and unknown body fields by name', async () => {
      const id = await make(res);
      const bad = await historicize(res, id, { date: 'tomorrow' });
      expect(bad.status).toBe(400);
      expect(errorFields(bad)).toEqual(['date']);
      const unknown = await historicize(res, id, { valid_to: PAST });
      expect(unknown.status).toBe(400);
      expect(errorFields(unknown)).toEqual(['valid_to']);
      expect(await t.sql(`select valid_to from ${TABLE[res]} where id = ?`, [id])).toEqual([{ valid_to: null }]);
    });

    it('does not move an earlier end forward when an ended row is historicized again without a date', async () => {
      const id = await make(res, { valid_to: PAST });
      expect((await t.http().delete(`/v2/${res}/delete/${id}?historicize=true`).set(write)).status).toBe(204);
      expect((await view(res, id)).body.valid_to).toBe(PAST);
      const again = await historicize(res, id);
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ valid_to: PAST, owned_active: false });
      const [row] = await t.sql<{ valid_to: string }>(`select valid_to from ${TABLE[res]} where id = ?`, [id]);
      expect(new Date(row.valid_to).toISOString()).toBe(PAST);
    });

    it('accepts a 32-hex id, answers 400 naming id for a malformed one and 404 for an unknown one', async () => {
      const id = await make(res);
      expect((await historicize(res, hexId(id))).status).toBe(200);
      const malformed = await historicize(res, 'nope');
      expect(malformed.status).toBe(400);
      expect(errorFields(malformed)).toEqual(['id']);
      const missing = await historicize(res, MISSING_ID);
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual(problem(404, 'not-found'));
    });

    it('answers 403 to a Viewer and changes nothing', async () => {
      const id = await make(res);
      const response = await t.http().post(`/v2/${res}/historicize/${id}`).set(read);
      expect(response.status).toBe(403);
      expect(response.body).toEqual(problem(403, 'forbidden'));
      expect(await t.sql(`select valid_to from ${TABLE[res]} where id = ?`, [id])).toEqual([{ valid_to: null }]);
    });
  });

  describe.each(RESOURCES)('%s lists and re-activation', (res) => {
    it('hide inactive rows unless history is true', async () => {
      const active = await make(res);
      const ended = await make(res, { valid_to: PAST });
      const historicized = await make(res);
      await historicize(res, historicized);
      const notYet = await make(res, { valid_from: FUTURE });

      const current = await index(res);
      expect(current.status).toBe(200);
      expect(idsOf(res, current)).toEqual([active]);
      expect(current.headers['x-pagination-total-count']).toBe('1');

      const all = await index(res, { history: true });
      expect(idsOf(res, all)).toEqual(sorted([active, ended, historicized, notYet]));
      expect(all.headers['x-pagination-total-count']).toBe('4');

      const inactive = await index(res, { history: true, filter: { owned_active: false } });
      expect(idsOf(res, inactive)).toEqual(sorted([ended, historicized, notYet]));
      expect(idsOf(res, await index(res, { history: false }))).toEqual([active]);
    });

    it('answer a row with a future valid_from as owned_active false, in view too', async () => {
      const id = await make(res, { valid_from: FUTURE });
      const response = await view(res, id);
      expect(response.status).toBe(200);
      expect(flagsOf(response)).toEqual({ owned_active: false, parent_active: true });
      expect(response.body.valid_from).toBe(FUTURE);
    });

    it('re-activate a historicized row with an update setting valid_to null', async () => {
      const id = await make(res);
      await historicize(res, id);
      const response = await t.http().put(`/v2/${res}/update/${id}`).set(write).send({ valid_to: null });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ [ID_FIELD[res]]: id, valid_to: null, owned_active: true, parent_active: true });
      expect(await t.sql(`select valid_to from ${TABLE[res]} where id = ?`, [id])).toEqual([{ valid_to: null }]);
      expect(idsOf(res, await index(res))).toEqual([id]);
    });

    it('historicize with DELETE ?historicize=true too, keeping the row', async () => {
      const id = await make(res);
      const before = await tableCounts(t);
      const response = await t.http().delete(`/v2/${res}/delete/${id}?historicize=true`).set(write);
      expect(response.status).toBe(204);
      expect(await tableCounts(t)).toEqual(before);
      const viewed = await view(res, id);
      expect(viewed.body.owned_active).toBe(false);
      expect(ageOf(viewed.body.valid_to)).toBeLessThan(10_000);
      expect(idsOf(res, await index(res))).toEqual([]);
    });
  });

  describe('historicizing a unit', () => {
    /** root -> child -> grandchild, an assignment in each of child and grandchild, and an unrelated active root. */
    async function populated() {
      const root = await f.unit({ name: 'Root' });
      const child = await f.unit({ name: 'Child', parent_org_unit_id: root });
      const grandchild = await f.unit({ name: 'Grandchild', parent_org_unit_id: child });
      const other = await f.unit({ name: 'Other' });
      const [ada, grace] = [await f.person(), await f.person()];
      const inChild = await f.assignment({ person_id: ada, org_unit_id: child });
      const inGrandchild = await f.assignment({ person_id: grace, org_unit_id: grandchild });
      const inOther = await f.assignment({ person_id: ada, org_unit_id: other });
      return { root, child, grandchild, other, inChild, inGrandchild, inOther };
    }
    const dependants = () =>
      Promise.all([
        t.sql("select id, valid_to, updated_at from org_unit where name <> 'Root' order by id"),
        t.sql('select id, valid_to, updated_at from org_person order by id'),
      ]);

    it('hides its descendants and their assignments from default lists without writing any of their rows', async () => {
      const u = await populated();
      const before = await dependants();
      const response = await historicize('org-unit', u.root);
      expect(response.status).toBe(200);
      expect(flagsOf(response)).toEqual({ owned_active: false, parent_active: true });

      expect(await dependants()).toEqual(before);
      const [root] = await t.sql<{ valid_to: string | null }>('select valid_to from org_unit where id = ?', [u.root]);
      expect(root.valid_to).not.toBeNull();

      expect(idsOf('org-unit', await index('org-unit'))).toEqual([u.other]);
      expect(idsOf('org-person', await index('org-person'))).toEqual([u.inOther]);
    });

    it('shows them with history true, with parent_active false and owned_active true', async () => {
      const u = await populated();
      await historicize('org-unit', u.root);

      const units = await index('org-unit', { history: true, sort: 'name' });
      expect((units.body as ({ name: string } & Flags)[]).map((r) => [r.name, r.owned_active, r.parent_active])).toEqual([
        ['Child', true, false],
        ['Grandchild', true, false],
        ['Other', true, true],
        ['Root', false, true],
      ]);

      const assignments = await index('org-person', { history: true, filter: { parent_active: false } });
      expect(idsOf('org-person', assignments)).toEqual(sorted([u.inChild, u.inGrandchild]));
      for (const row of assignments.body as Flags[]) expect(row).toMatchObject({ owned_active: true, parent_active: false });

      expect(flagsOf(await view('org-unit', u.grandchild))).toEqual({ owned_active: true, parent_active: false });
      expect(flagsOf(await view('org-person', u.inGrandchild))).toEqual({ owned_active: true, parent_active: false });
    });

    it('gives the same flags to an index filtered by unit (its ancestors walked up) as to the unfiltered one', async () => {
      const u = await populated();
      await historicize('org-unit', u.child);
      for (const [unit, assignment, parentActive] of [
        [u.grandchild, u.inGrandchild, false],
        [u.child, u.inChild, false],
        [u.other, u.inOther, true],
      ] as const) {
        const filtered = await index('org-person', { history: true, filter: { org_unit_id: unit } });
        expect(idsOf('org-person', filtered)).toEqual([assignment]);
        expect(filtered.body).toEqual([expect.objectContaining({ owned_active: true, parent_active: parentActive })]);
        expect(idsOf('org-person', await index('org-person', { filter: { org_unit_id: unit } }))).toEqual(parentActive ? [assignment] : []);
        expect(
          idsOf('org-person', await index('org-person', { history: true, filter: { org_unit_id: unit, parent_active: false } })),
        ).toEqual(parentActive ? [] : [assignment]);
      }
    });

    it('hides only the subtree of a historicized middle unit', async () => {
      const u = await populated();
      await historicize('org-unit', u.child);
      expect(idsOf('org-unit', await index('org-unit'))).toEqual(sorted([u.root, u.other]));
      expect(idsOf('org-person', await index('org-person'))).toEqual([u.inOther]);
      expect(flagsOf(await view('org-unit', u.grandchild))).toEqual({ owned_active: true, parent_active: false });
      expect(flagsOf(await view('org-unit', u.root))).toEqual({ owned_active: true, parent_active: true });
    });

    it('keeps its dependants active when historicized at a future date', async () => {
      const u = await populated();
      await historicize('org-unit', u.root, { date: FUTURE });
      expect(idsOf('org-unit', await index('org-unit'))).toEqual(sorted([u.root, u.child, u.grandchild, u.other]));
      expect(idsOf('org-person', await index('org-person'))).toEqual(sorted([u.inChild, u.inGrandchild, u.inOther]));
    });

    it('brings its dependants back when re-activated with valid_to null', async () => {
      const u = await populated();
      await historicize('org-unit', u.root);
      const before = await dependants();
      expect((await t.http().put(`/v2/org-unit/update/${u.root}`).set(write).send({ valid_to: null })).status).toBe(200);
      expect(await dependants()).toEqual(before);
      expect(idsOf('org-unit', await index('org-unit'))).toEqual(sorted([u.root, u.child, u.grandchild, u.other]));
      expect(flagsOf(await view('org-person', u.inGrandchild))).toEqual({ owned_active: true, parent_active: true });
    });

    it('makes the children of a unit with a future valid_from parent-inactive', async () => {
      const parent = await f.unit({ valid_from: FUTURE });
      const child = await f.unit({ parent_org_unit_id: parent });
      expect(flagsOf(await view('org-unit', parent))).toEqual({ owned_active: false, parent_active: true });
      expect(flagsOf(await view('org-unit', child))).toEqual({ owned_active: true, parent_active: false });
      expect(idsOf('org-unit', await index('org-unit'))).toEqual([]);
    });

    it('filters parent_active and owned_active against the history flags', async () => {
      const u = await populated();
      await historicize('org-unit', u.root);
      const childrenOnly = await index('org-unit', { history: true, filter: { parent_active: false } });
      expect(idsOf('org-unit', childrenOnly)).toEqual(sorted([u.child, u.grandchild]));
      const hiddenByDefault = await index('org-unit', { filter: { parent_active: false } });
      expect(hiddenByDefault.body).toEqual([]);
    });
  });

  describe('parent_active of an assignment', () => {
    let person: string;
    let unit: string;
    let role: string;
    let assignment: string;
    beforeEach(async () => {
      person = await f.person({ email: 'ada@example.com' });
      unit = await f.unit();
      role = await f.role();
      assignment = await f.assignment({ person_id: person, org_unit_id: unit, org_role_id: role });
    });
    const assignmentUpdatedAt = () => t.sql('select valid_to, updated_at from org_person');

    it('is true while its person, unit and role are active', async () => {
      expect(flagsOf(await view('org-person', assignment))).toEqual({ owned_active: true, parent_active: true });
    });

    it('is false once its person is historicized (Opsera DELETE ?historicize=true), and the list hides it', async () => {
      const before = await assignmentUpdatedAt();
      expect((await t.http().delete(`${PEOPLE}/ada@example.com?historicize=true`).set(write)).status).toBe(204);
      expect(await assignmentUpdatedAt()).toEqual(before);
      expect(flagsOf(await view('org-person', assignment))).toEqual({ owned_active: true, parent_active: false });
      expect(idsOf('org-person', await index('org-person'))).toEqual([]);
      expect(idsOf('org-person', await index('org-person', { history: true }))).toEqual([assignment]);
    });

    it('is false while its person is not yet valid (validFrom in the future)', async () => {
      expect((await t.http().put(`${PEOPLE}/ada@example.com`).set(write).send({ validFrom: FUTURE })).status).toBe(200);
      expect(flagsOf(await view('org-person', assignment))).toEqual({ owned_active: true, parent_active: false });
    });

    it('is false once its role is historicized, and true again when the role is re-activated', async () => {
      const before = await assignmentUpdatedAt();
      expect((await historicize('org-role', role)).status).toBe(200);
      expect(await assignmentUpdatedAt()).toEqual(before);
      expect(flagsOf(await view('org-person', assignment))).toEqual({ owned_active: true, parent_active: false });
      expect(idsOf('org-person', await index('org-person'))).toEqual([]);
      await t.http().put(`/v2/org-role/update/${role}`).set(write).send({ valid_to: null });
      expect(flagsOf(await view('org-person', assignment))).toEqual({ owned_active: true, parent_active: true });
    });

    it('is false once its unit is historicized', async () => {
      await historicize('org-unit', unit);
      expect(flagsOf(await view('org-person', assignment))).toEqual({ owned_active: true, parent_active: false });
    });

    it('does not depend on a role when the assignment has none', async () => {
      const other = await f.assignment({ person_id: person, org_unit_id: unit });
      await historicize('org-role', role);
      expect(flagsOf(await view('org-person', other))).toEqual({ owned_active: true, parent_active: true });
      expect(idsOf('org-person', await index('org-person'))).toEqual([other]);
    });

    it('is reported alongside owned_active false for a historicized assignment of a historicized person', async () => {
      await historicize('org-person', assignment);
      await t.http().delete(`${PEOPLE}/ada@example.com?historicize=true`).set(write);
      const listed = await index('org-person', { history: true });
      expect(listed.body).toEqual([expect.objectContaining({ org_person_id: assignment, owned_active: false, parent_active: false })]);
    });
  });
});
