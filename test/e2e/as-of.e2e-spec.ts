import type { Response } from 'supertest';
import { drain } from '../support/changes.js';
import { bearer, createTestApp, problem, type TestApp } from '../support/test-app.js';
import { errorFields, orgFactories, truncateOrgTables, type OrgFactories } from '../support/org-factories.js';
import { HistoryStatistics } from '../../src/database/history-statistics.js';
import { instant, personBody } from '../support/as-of.js';

/**
 * Point-in-time reads (contract section 10.2): every read as recorded at an instant, from the history
 * tables kept by triggers (migration Migration20261201090000_as_of).
 */

const PEOPLE = '/api/v2/data/people';
const FUTURE_END = '2090-01-01T00:00:00.000Z';
/** After FUTURE_END, in 4HSE's documented form (contract section 4.1, read as UTC). */
const FAR_FUTURE_4HSE = '2095-06-30 12:00:00';

function expectInvalid(res: Response, field: string) {
  expect(res.status).toBe(400);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toEqual(problem(400, 'validation-error', { errors: expect.any(Array) }));
  expect(errorFields(res)).toEqual([field]);
}

function unitBody(fields: Record<string, unknown>) {
  return {
    code: null,
    description: null,
    parent_org_unit_id: null,
    project_id: null,
    external_id: null,
    valid_from: null,
    valid_to: null,
    owned_active: true,
    parent_active: true,
    ...fields,
  };
}

describe('as_of reads (contract section 10.2)', () => {
  let t: TestApp;
  let f: OrgFactories;
  let read: Record<string, string>;
  let write: Record<string, string>;

  beforeAll(async () => {
    t = await createTestApp();
    f = orgFactories(t);
    read = bearer(t.tokens.viewer);
    write = bearer(t.tokens.powerUser);
  });
  afterAll(() => t.close());
  beforeEach(() => truncateOrgTables(t));

  const getPerson = (email: string, query: Record<string, string> = {}) =>
    t
      .http()
      .get(`${PEOPLE}/${encodeURIComponent(email)}`)
      .query(query)
      .set(read);
  const listPeople = (query: Record<string, string>) => t.http().get(PEOPLE).query(query).set(read);
  const index = (res: string, body: Record<string, unknown>) => t.http().post(`/v2/${res}/index`).set(read).send(body);
  const view = (res: string, id: string, query: Record<string, string> = {}) =>
    t.http().get(`/v2/${res}/view/${id}`).query(query).set(read);
  const update = (res: string, id: string, body: Record<string, unknown>) => t.http().put(`/v2/${res}/update/${id}`).set(write).send(body);

  describe('people (Opsera asOf)', () => {
    it('get, list, email lookups, filters and sorts use the values recorded then; later people are absent', async () => {
      await f.person({ email: 'Ada@Old.example', firstName: 'Ada', lastName: 'Zeta', department: 'Old' });
      const before = await instant();
      expect(
        (
          await t
            .http()
            .put(`${PEOPLE}/ada@old.example`)
            .set(write)
            .send({ email: 'ada@new.example', lastName: 'Alpha', department: 'New' })
        ).status,
      ).toBe(200);
      await f.person({ email: 'bob@example.com', firstName: 'Bob', lastName: 'Middle' });

      const oldAda = personBody({ email: 'Ada@Old.example', firstName: 'Ada', lastName: 'Zeta', department: 'Old' });
      const newAda = personBody({ email: 'ada@new.example', firstName: 'Ada', lastName: 'Alpha', department: 'New' });
      const bob = personBody({ email: 'bob@example.com', firstName: 'Bob', lastName: 'Middle' });

      const then = await getPerson('ADA@old.example', { asOf: before });
      expect(then.status).toBe(200);
      expect(then.body).toEqual(oldAda);
      expect(then.headers.etag).toMatch(/^"/);
      expect((await getPerson('ada@old.example')).status).toBe(404);
      expect((await getPerson('ada@new.example', { asOf: before })).status).toBe(404);
      expect((await getPerson('bob@example.com', { asOf: before })).status).toBe(404);
      const now = await getPerson('ada@new.example');
      expect(now.body).toEqual(newAda);
      expect(now.headers.etag).not.toBe(then.headers.etag);

      const byOldEmail = await listPeople({ asOf: before, email: 'ada@OLD.example' });
      expect(byOldEmail.status).toBe(200);
      expect(byOldEmail.body).toEqual({ count: 1, data: [oldAda] });
      expect(byOldEmail.headers['x-pagination-total-count']).toBe('1');
      expect((await listPeople({ email: 'ada@old.example' })).body).toEqual({ count: 0, data: [] });
      expect((await listPeople({ asOf: before, department: 'Old' })).body).toEqual({ count: 1, data: [oldAda] });
      expect((await listPeople({ asOf: before, department: 'New' })).body).toEqual({ count: 0, data: [] });

      // Sorted on the values of then: Zeta then was the only one; now Alpha comes before Middle.
      expect((await listPeople({ asOf: before, sort: 'lastName' })).body).toEqual({ count: 1, data: [oldAda] });
      expect((await listPeople({ sort: 'lastName' })).body).toEqual({ count: 2, data: [newAda, bob] });
      expect((await listPeople({ asOf: await instant(), sort: '-lastName' })).body).toEqual({ count: 2, data: [bob, newAda] });
    });

    it('the manager is the one recorded then, under the email it had then (reporting lines, contract section 11)', async () => {
      const firstBoss = await f.person({ email: 'first.boss@example.com', firstName: 'First', lastName: 'Boss' });
      const secondBoss = await f.person({ email: 'second.boss@example.com', firstName: 'Second', lastName: 'Boss' });
      const report = await f.person({
        email: 'report@example.com',
        firstName: 'Re',
        lastName: 'Port',
        managerEmail: 'First.Boss@example.com',
      });
      const before = await instant();
      const moved = await t.http().put(`${PEOPLE}/report@example.com`).set(write).send({ managerEmail: 'second.boss@example.com' });
      expect(moved.status).toBe(200);
      const renamed = await t.http().put(`${PEOPLE}/first.boss@example.com`).set(write).send({ email: 'boss.emeritus@example.com' });
      expect(renamed.status).toBe(200);

      const then = await getPerson('report@example.com', { asOf: before });
      expect(then.status).toBe(200);
      expect(then.body).toEqual(
        personBody({
          id: report,
          email: 'report@example.com',
          firstName: 'Re',
          lastName: 'Port',
          managerId: firstBoss,
          managerEmail: 'first.boss@example.com',
        }),
      );
      const now = await getPerson('report@example.com');
      expect(now.body).toEqual(
        personBody({
          id: report,
          email: 'report@example.com',
          firstName: 'Re',
          lastName: 'Port',
          managerId: secondBoss,
          managerEmail: 'second.boss@example.com',
        }),
      );
    });

    it('pages as of the instant: the Link and its keyset cursor keep asOf', async () => {
      await f.person({ email: 'a@example.com', firstName: 'A', lastName: 'Aa' });
      await f.person({ email: 'b@example.com', firstName: 'B', lastName: 'Bb' });
      const before = await instant();
      await f.person({ email: 'c@example.com', firstName: 'C', lastName: 'Ab' });
      expect((await t.http().put(`${PEOPLE}/a@example.com`).set(write).send({ lastName: 'Zz' })).status).toBe(200);

      const first = await listPeople({ asOf: before, sort: 'lastName', 'per-page': '1' });
      expect(first.body).toEqual({ count: 2, data: [personBody({ email: 'a@example.com', firstName: 'A', lastName: 'Aa' })] });
      const next = /<([^>]+)>; rel="next"/.exec(first.headers.link)?.[1];
      expect(next).toContain(`asOf=${encodeURIComponent(before)}`);
      expect(next).toContain('cursor=');
      const second = await t
        .http()
        .get(next as string)
        .set(read);
      expect(second.status).toBe(200);
      expect(second.body).toEqual({ count: 2, data: [personBody({ email: 'b@example.com', firstName: 'B', lastName: 'Bb' })] });
    });

    it("an asOf equal to an event's `at` shows that event's state", async () => {
      const id = await f.person({ email: 'eve@example.com', firstName: 'Eve', lastName: 'One' });
      expect((await t.http().put(`${PEOPLE}/eve@example.com`).set(write).send({ lastName: 'Two' })).status).toBe(200);
      expect((await t.http().put(`${PEOPLE}/eve@example.com`).set(write).send({ lastName: 'Three' })).status).toBe(200);
      const { events } = await drain(t, undefined, { entity_id: id });
      expect(events.map((e) => e.op)).toEqual(['create', 'update', 'update']);
      const lastNames = await Promise.all(
        events.map(async (e) => ((await getPerson('eve@example.com', { asOf: e.at })).body as { lastName: string }).lastName),
      );
      expect(lastNames).toEqual(['One', 'Two', 'Three']);
    });

    it('a deleted person is there before the delete and 404 after; a no-op update records nothing', async () => {
      await f.person({ email: 'gone@example.com', firstName: 'Gone', lastName: 'Soon' });
      expect((await t.http().put(`${PEOPLE}/gone@example.com`).set(write).send({ lastName: 'Soon' })).status).toBe(200);
      expect(await t.sql('select count(*)::int as n from person_history')).toEqual([{ n: 0 }]);
      const before = await instant();
      expect((await t.http().delete(`${PEOPLE}/gone@example.com`).set(write)).status).toBe(204);
      const after = await instant();

      const then = await getPerson('gone@example.com', { asOf: before });
      expect(then.status).toBe(200);
      expect(then.body).toEqual(personBody({ email: 'gone@example.com', firstName: 'Gone', lastName: 'Soon' }));
      expect((await getPerson('gone@example.com', { asOf: after })).status).toBe(404);
      expect((await listPeople({ asOf: before })).body.count).toBe(1);
      expect((await listPeople({ asOf: after })).body).toEqual({ count: 0, data: [] });
    });

    it('the count of a list as of any instant is exactly the people recorded then (inserts, updates, deletes, an email used again)', async () => {
      const past = '2020-01-01T00:00:00.000Z';
      const change = (email: string, body: Record<string, unknown>) => t.http().put(`${PEOPLE}/${email}`).set(write).send(body);
      const instants = [await instant()];
      await f.person({ email: 'a@example.com' });
      await f.person({ email: 'b@example.com' });
      await f.person({ email: 'c@example.com', validTo: FUTURE_END });
      instants.push(await instant());
      expect((await change('a@example.com', { department: 'One' })).status).toBe(200);
      expect((await change('a@example.com', { department: 'Two' })).status).toBe(200);
      expect((await change('b@example.com', { validFrom: past, validTo: '2021-01-01T00:00:00.000Z' })).status).toBe(200);
      instants.push(await instant());
      expect((await t.http().delete(`${PEOPLE}/c@example.com`).set(write)).status).toBe(204);
      await f.person({ email: 'd@example.com' });
      instants.push(await instant());
      expect((await t.http().delete(`${PEOPLE}/d@example.com`).set(write)).status).toBe(204);
      await f.person({ email: 'd@example.com', department: 'Again' });
      expect((await change('d@example.com', { department: 'Later' })).status).toBe(200);
      expect((await change('b@example.com', { validTo: null })).status).toBe(200);
      instants.push(await instant());
      // Every instant a version starts or ends at, and the milliseconds around it.
      const bounds = await t.sql<{ at: string }>(
        'select sys_from as at from person_versions union select sys_to from person_versions where sys_to is not null',
      );
      for (const { at } of bounds) for (const ms of [-1, 0, 1]) instants.push(new Date(new Date(at).getTime() + ms).toISOString());

      for (const asOf of instants) {
        for (const history of ['false', 'true']) {
          const [{ n }] = await t.sql<{ n: number }>(
            `select count(*)::int as n from person_as_of(?::timestamptz) p
              where ?::boolean or ((p.valid_from is null or p.valid_from <= ?::timestamptz) and (p.valid_to is null or p.valid_to > ?::timestamptz))`,
            [asOf, history, asOf, asOf],
          );
          const res = await listPeople({ asOf, history, 'per-page': '100' });
          expect({
            asOf,
            history,
            status: res.status,
            count: res.body.count,
            rows: res.body.data.length,
            header: res.headers['x-pagination-total-count'],
          }).toEqual({
            asOf,
            history,
            status: 200,
            count: n,
            rows: n,
            header: String(n),
          });
        }
      }
      // The instants cover every state: none, all three, the updates, and the email used again.
      const counts = await Promise.all(
        instants.slice(0, 5).map(async (asOf) => (await listPeople({ asOf, history: 'true' })).body as { count: number }),
      );
      expect(counts.map((body) => body.count)).toEqual([0, 3, 3, 3, 3]);
    });

    it('a future instant reads today’s values with validity evaluated then', async () => {
      await f.person({ email: 'fin@example.com', firstName: 'Fin', lastName: 'Ite', validTo: FUTURE_END });
      const fin = personBody({ email: 'fin@example.com', firstName: 'Fin', lastName: 'Ite', validTo: FUTURE_END });
      expect((await getPerson('fin@example.com', { asOf: FAR_FUTURE_4HSE })).body).toEqual({ ...fin, active: false });
      expect((await listPeople({ asOf: FAR_FUTURE_4HSE })).body).toEqual({ count: 0, data: [] });
      expect((await listPeople({ asOf: FAR_FUTURE_4HSE, history: 'true' })).body).toEqual({ count: 1, data: [{ ...fin, active: false }] });
      expect((await getPerson('fin@example.com')).body).toEqual(fin);
    });

    it('If-None-Match with the tag of an as-of answer is a 304; the answer without asOf is untouched', async () => {
      await f.person({ email: 'tag@example.com', firstName: 'Tag', lastName: 'One' });
      const before = await instant();
      expect((await t.http().put(`${PEOPLE}/tag@example.com`).set(write).send({ lastName: 'Two' })).status).toBe(200);
      const then = await getPerson('tag@example.com', { asOf: before });
      const now = await getPerson('tag@example.com');
      const notModified = await getPerson('tag@example.com', { asOf: before }).set('If-None-Match', then.headers.etag);
      expect(notModified.status).toBe(304);
      expect(notModified.text).toBe('');
      expect((await getPerson('tag@example.com').set('If-None-Match', now.headers.etag)).status).toBe(304);
      expect((await getPerson('tag@example.com').set('If-None-Match', then.headers.etag)).status).toBe(200);
    });

    it.each(['yesterday', '2026-02-31', '2026-01-31T10:00:00', '', '10000-01-01'])('asOf=%j is a 400 naming asOf', async (value) => {
      await f.person({ email: 'bad@example.com' });
      expectInvalid(await getPerson('bad@example.com', { asOf: value }), 'asOf');
      expectInvalid(await listPeople({ asOf: value }), 'asOf');
    });
  });

  describe('4HSE resources (as_of)', () => {
    it('org-role: view and index as recorded, filters on the values of then', async () => {
      const id = await f.role({ name: 'Old name', code: 'R1' });
      const before = await instant();
      expect((await update('org-role', id, { name: 'New name' })).status).toBe(200);
      const role = {
        org_role_id: id,
        code: 'R1',
        description: null,
        project_id: null,
        valid_from: null,
        valid_to: null,
        owned_active: true,
        parent_active: true,
      };

      const then = await view('org-role', id, { as_of: before });
      expect(then.status).toBe(200);
      expect(then.body).toEqual({ ...role, name: 'Old name' });
      expect((await view('org-role', id)).body).toEqual({ ...role, name: 'New name' });
      const found = await index('org-role', { as_of: before, filter: { name: 'old' } });
      expect(found.status).toBe(200);
      expect(found.body).toEqual([{ ...role, name: 'Old name' }]);
      expect(found.headers['x-pagination-total-count']).toBe('1');
      expect((await index('org-role', { filter: { name: 'old' } })).body).toEqual([]);
    });

    it('org-unit and org-person: created later absent, deleted present before, joined fields as they were', async () => {
      const unit = await f.unit({ name: 'Plant A' });
      const person = await f.person({ email: 'worker@example.com', firstName: 'Wo', lastName: 'Rker' });
      const assignment = await f.assignment({ person_id: person, org_unit_id: unit });
      const before = await instant();
      expect((await update('org-unit', unit, { name: 'Plant B' })).status).toBe(200);
      expect((await t.http().put(`${PEOPLE}/worker@example.com`).set(write).send({ email: 'worker@new.example' })).status).toBe(200);
      const later = await f.unit({ name: 'Later' });
      const middle = await instant();
      expect((await t.http().delete(`/v2/org-person/delete/${assignment}`).set(write)).status).toBe(204);

      const row = {
        org_person_id: assignment,
        person_id: person,
        org_unit_id: unit,
        org_role_id: null,
        valid_from: null,
        valid_to: null,
        owned_active: true,
        parent_active: true,
        org_unit_code: null,
        org_role_code: null,
        org_role_name: null,
        person_first_name: 'Wo',
        person_last_name: 'Rker',
      };
      const thenRow = { ...row, org_unit_name: 'Plant A', person_email: 'worker@example.com' };
      expect((await view('org-person', assignment, { as_of: before })).body).toEqual(thenRow);
      expect((await view('org-person', assignment, { as_of: middle })).body).toEqual({
        ...row,
        org_unit_name: 'Plant B',
        person_email: 'worker@new.example',
      });
      expect((await view('org-person', assignment)).status).toBe(404);
      expect((await index('org-person', { as_of: before, filter: { person_email: 'WORKER@example.com' } })).body).toEqual([thenRow]);
      expect((await index('org-person', { as_of: middle, filter: { person_email: 'worker@example.com' } })).body).toEqual([]);
      expect((await index('org-person', { as_of: before, filter: { org_unit_name: 'Plant A' } })).body).toEqual([thenRow]);
      expect((await index('org-person', {})).body).toEqual([]);

      expect((await view('org-unit', later, { as_of: before })).status).toBe(404);
      expect((await view('org-unit', unit, { as_of: before })).body).toEqual(unitBody({ org_unit_id: unit, name: 'Plant A' }));
      expect((await index('org-unit', { as_of: before })).body).toEqual([unitBody({ org_unit_id: unit, name: 'Plant A' })]);
      expect((await index('org-unit', { as_of: middle, sort: 'name' })).body).toEqual([
        unitBody({ org_unit_id: later, name: 'Later' }),
        unitBody({ org_unit_id: unit, name: 'Plant B' }),
      ]);
    });

    it('owned_active and parent_active are evaluated at the instant; a future instant reads today’s values', async () => {
      const root = await f.unit({ name: 'Root', valid_to: FUTURE_END });
      const child = await f.unit({ name: 'Child', parent_org_unit_id: root });
      const future = { as_of: FAR_FUTURE_4HSE };
      expect((await view('org-unit', child, future)).body).toEqual(
        unitBody({ org_unit_id: child, name: 'Child', parent_org_unit_id: root, parent_active: false }),
      );
      expect((await view('org-unit', root, future)).body).toEqual(
        unitBody({ org_unit_id: root, name: 'Root', valid_to: FUTURE_END, owned_active: false }),
      );
      expect((await index('org-unit', future)).body).toEqual([]);
      expect((await index('org-unit', { ...future, history: true, sort: 'name' })).body).toEqual([
        unitBody({ org_unit_id: child, name: 'Child', parent_org_unit_id: root, parent_active: false }),
        unitBody({ org_unit_id: root, name: 'Root', valid_to: FUTURE_END, owned_active: false }),
      ]);
      expect((await index('org-unit', { sort: 'name' })).body).toHaveLength(2);
    });

    it.each(['org-unit', 'org-role', 'org-person'])('%s: a bad as_of is a 400 naming as_of (view and index)', async (res) => {
      const id = res === 'org-unit' ? await f.unit() : res === 'org-role' ? await f.role() : '00000000-0000-4000-8000-000000000000';
      for (const value of ['soon', '2026-13-01', '2026-01-31T25:00:00Z']) {
        expectInvalid(await view(res, id, { as_of: value }), 'as_of');
        expectInvalid(await index(res, { as_of: value }), 'as_of');
      }
      expectInvalid(await index(res, { as_of: 20260101 }), 'as_of');
      expectInvalid(await index(res, { as_of: true }), 'as_of');
      expect((await index(res, { as_of: null })).status).toBe(200);
    });
  });

  describe('hierarchy reads (as_of)', () => {
    it('a unit moved to another parent: ancestors, descendants and head counts then and now', async () => {
      const a = await f.unit({ name: 'A' });
      const b = await f.unit({ name: 'B' });
      const c = await f.unit({ name: 'C', parent_org_unit_id: a });
      const person = await f.person();
      await f.assignment({ person_id: person, org_unit_id: c });
      const before = await instant();
      expect((await update('org-unit', c, { parent_org_unit_id: b })).status).toBe(200);

      const ancestorsThen = await t.http().get(`/v2/org-unit/ancestors/${c}`).query({ as_of: before, with_counts: 'true' }).set(read);
      expect(ancestorsThen.status).toBe(200);
      expect(ancestorsThen.body).toEqual([unitBody({ org_unit_id: a, name: 'A', depth: 0, head_count: 0, total_head_count: 1 })]);
      expect((await t.http().get(`/v2/org-unit/ancestors/${c}`).set(read)).body).toEqual([
        unitBody({ org_unit_id: b, name: 'B', depth: 0 }),
      ]);

      const descendants = (unit: string, extra: Record<string, unknown> = {}) =>
        t
          .http()
          .post('/v2/org-unit/descendants')
          .set(read)
          .send({ org_unit_id: unit, with_counts: true, ...extra });
      const cThen = unitBody({ org_unit_id: c, name: 'C', parent_org_unit_id: a, depth: 1, path: [a], head_count: 1, total_head_count: 1 });
      const aThen = await descendants(a, { as_of: before });
      expect(aThen.status).toBe(200);
      expect(aThen.body).toEqual([cThen]);
      expect(aThen.headers['x-pagination-total-count']).toBe('1');
      expect((await descendants(a)).body).toEqual([]);
      expect((await descendants(b, { as_of: before })).body).toEqual([]);
      expect((await descendants(b)).body).toEqual([{ ...cThen, parent_org_unit_id: b, path: [b] }]);

      // Counts on the index and the view at the instant too.
      const counted = await index('org-unit', { as_of: before, with_counts: true, filter: { parent_org_unit_id: null }, sort: 'name' });
      expect(counted.body).toEqual([
        unitBody({ org_unit_id: a, name: 'A', head_count: 0, total_head_count: 1 }),
        unitBody({ org_unit_id: b, name: 'B', head_count: 0, total_head_count: 0 }),
      ]);
      expect((await view('org-unit', b, { with_counts: 'true' })).body).toEqual(
        unitBody({ org_unit_id: b, name: 'B', head_count: 0, total_head_count: 1 }),
      );
      expect((await view('org-unit', b, { with_counts: 'true', as_of: before })).body).toEqual(
        unitBody({ org_unit_id: b, name: 'B', head_count: 0, total_head_count: 0 }),
      );
    });

    it('a unit created later is a 404 as of before; bad as_of is a 400 naming it', async () => {
      const before = await instant();
      const unit = await f.unit({ name: 'New' });
      expect((await t.http().get(`/v2/org-unit/ancestors/${unit}`).query({ as_of: before }).set(read)).status).toBe(404);
      expect((await t.http().post('/v2/org-unit/descendants').set(read).send({ org_unit_id: unit, as_of: before })).status).toBe(404);
      expectInvalid(await t.http().get(`/v2/org-unit/ancestors/${unit}`).query({ as_of: 'now' }).set(read), 'as_of');
      expectInvalid(await t.http().post('/v2/org-unit/descendants').set(read).send({ org_unit_id: unit, as_of: '31/01/2026' }), 'as_of');
    });
  });

  it('HistoryStatistics analyzes the _versions parents (the planner statistics as-of joins need)', async () => {
    await f.person({ email: 'stats@example.com' });
    const lastAnalyze = async () =>
      (
        await t.sql<{ at: string | null }>(
          `select max(last_analyze)::text as at from pg_stat_user_tables where relname in ('person_versions', 'org_person_versions')`,
        )
      )[0].at;
    const before = await lastAnalyze();
    expect(await t.app.get(HistoryStatistics).analyze()).toBe(true);
    // Statistics counters are published asynchronously: wait for them (at most 5 s).
    let after = await lastAnalyze();
    for (let i = 0; i < 50 && after === before; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      after = await lastAnalyze();
    }
    expect(after).not.toBe(before);
    const stats = await t.sql<{ tablename: string }>(
      `select distinct tablename from pg_stats where inherited and attname = 'id' and tablename like '%_versions' order by tablename`,
    );
    expect(stats.map((row) => row.tablename)).toContain('person_versions');
  });

  it('each history table has exactly its live table’s columns, in the same order (a column added to one must be added to the other)', async () => {
    const columns = await t.sql<{ table_name: string; columns: string }>(
      `select table_name, string_agg(column_name || ' ' || data_type, ', ' order by ordinal_position) as columns
         from information_schema.columns
        where table_schema = current_schema() and table_name in ('person', 'org_unit', 'org_role', 'org_person',
              'person_history', 'org_unit_history', 'org_role_history', 'org_person_history')
        group by table_name`,
    );
    const of = (table: string) => columns.find((c) => c.table_name === table)?.columns;
    for (const table of ['person', 'org_unit', 'org_role', 'org_person']) {
      expect(of(`${table}_history`)).toBe(of(table));
      expect(of(table)).toMatch(/, sys_from timestamp with time zone, sys_to timestamp with time zone/);
    }
  });
});
