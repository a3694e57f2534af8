import { bearer, createTestApp, ISO, problem, type TestApp } from '../support/test-app.js';
import { errorFields, orgFactories, truncateOrgTables, type OrgFactories } from '../support/org-factories.js';
import { drain, tokenIdByName, truncateChangeLog, type FeedEvent } from '../support/changes.js';
import { ChangesService } from '../../src/changes/changes.service.js';

const CURSOR = expect.stringMatching(/^[A-Za-z0-9_-]+$/);

/** The change log and its feed (contract 10.1): every write, once, in commit order. */
/** Every field of a person's change-log document (section 10.1): `changed` of a create and of a delete. */
const PERSON_DOCUMENT_FIELDS = [
  'id',
  'email',
  'firstName',
  'lastName',
  'displayName',
  'externalId',
  'organization',
  'business',
  'department',
  'group',
  'team',
  'managerId',
  'managerEmail',
  'validFrom',
  'validTo',
  'createdAt',
  'updatedAt',
];

describe('Change log and GET /api/v2/changes', () => {
  let t: TestApp;
  let f: OrgFactories;
  let powerUser: { token_id: string; token_name: string; role: string };
  let admin: { token_id: string; token_name: string; role: string };

  beforeAll(async () => {
    t = await createTestApp();
    f = orgFactories(t);
    powerUser = { token_id: await tokenIdByName(t, 'test Power User'), token_name: 'test Power User', role: 'Power User' };
    admin = { token_id: await tokenIdByName(t, 'test Administrator'), token_name: 'test Administrator', role: 'Administrator' };
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await truncateOrgTables(t);
    await truncateChangeLog(t);
  });

  const write = (token: string, requestId: string) => ({ ...bearer(token), 'X-Request-Id': requestId });

  it('records create, update, historicize and delete of a person, with actor, request id and the Opsera dialect', async () => {
    const created = await t
      .http()
      .post('/api/v2/data/people')
      .set(write(t.tokens.powerUser, 'req-create'))
      .send({ email: 'Ada@example.com', firstName: 'Ada', lastName: 'Lovelace', department: 'Math' });
    expect(created.status).toBe(201);
    const person = created.body as Record<string, unknown>;
    const { active: _active, ...stored } = person;
    const updated = await t
      .http()
      .put('/api/v2/data/people/ada@example.com')
      .set(write(t.tokens.admin, 'req-update'))
      .send({ department: 'Engines', team: 'Analytical' });
    expect(updated.status).toBe(200);
    const afterUpdate = (({ active: _a, ...rest }) => rest)(updated.body as Record<string, unknown>);
    expect(
      (await t.http().delete('/api/v2/data/people/ada@example.com?historicize=true').set(write(t.tokens.admin, 'req-hist'))).status,
    ).toBe(204);
    expect((await t.http().delete('/api/v2/data/people/ada@example.com').set(write(t.tokens.admin, 'req-delete'))).status).toBe(204);

    const { events, next } = await drain(t);
    expect(events).toHaveLength(4);
    const historicized = events[2].after!;
    expect(events).toEqual([
      {
        id: CURSOR,
        at: ISO,
        actor: powerUser,
        request_id: 'req-create',
        entity: 'person',
        entity_id: person.id,
        op: 'create',
        changed: PERSON_DOCUMENT_FIELDS,
        before: null,
        after: stored,
      },
      {
        id: CURSOR,
        at: ISO,
        actor: admin,
        request_id: 'req-update',
        entity: 'person',
        entity_id: person.id,
        op: 'update',
        changed: ['department', 'team'],
        before: stored,
        after: afterUpdate,
      },
      {
        id: CURSOR,
        at: ISO,
        actor: admin,
        request_id: 'req-hist',
        entity: 'person',
        entity_id: person.id,
        op: 'historicize',
        changed: ['validTo'],
        before: afterUpdate,
        after: { ...afterUpdate, validTo: ISO, updatedAt: ISO },
      },
      {
        id: CURSOR,
        at: ISO,
        actor: admin,
        request_id: 'req-delete',
        entity: 'person',
        entity_id: person.id,
        op: 'delete',
        changed: PERSON_DOCUMENT_FIELDS,
        before: historicized,
        after: null,
      },
    ]);
    expect(next).toBe(events[3].id);
    // Commit times never go backwards along the feed.
    const times = events.map((e) => Date.parse(e.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('appends nothing for a write that changes no value, nor for a refused or failed write', async () => {
    const unit = await f.unit({ name: 'Same', code: 'S1' });
    await f.unit({ name: 'Other', code: 'S2' });
    const { next } = await drain(t);
    const same = await t.http().put(`/v2/org-unit/update/${unit}`).set(bearer(t.tokens.powerUser)).send({ name: 'Same', code: 'S1' });
    expect(same.status).toBe(200);
    const taken = await t.http().put(`/v2/org-unit/update/${unit}`).set(bearer(t.tokens.powerUser)).send({ code: 'S2', name: 'Renamed' });
    expect(taken.status).toBe(409);
    const viewer = await t.http().put(`/v2/org-unit/update/${unit}`).set(bearer(t.tokens.viewer)).send({ name: 'Nope' });
    expect(viewer.status).toBe(403);
    const cycle = await t.http().put(`/v2/org-unit/update/${unit}`).set(bearer(t.tokens.powerUser)).send({ parent_org_unit_id: unit });
    expect(cycle.status).toBe(400);
    const res = await t.http().get('/api/v2/changes').query({ after: next }).set(bearer(t.tokens.admin));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: [], next });
  });

  it('records a forced cascade as one event per removed entity, under one request id', async () => {
    const root = await f.unit({ name: 'Root' });
    const child = await f.unit({ name: 'Child', parent_org_unit_id: root });
    const person = await f.person();
    const role = await f.role({ name: 'Lead' });
    const assignment = await f.assignment({ person_id: person, org_unit_id: child, org_role_id: role });
    const { next } = await drain(t);
    const res = await t.http().delete(`/v2/org-unit/delete/${root}?force=true`).set(write(t.tokens.admin, 'req-cascade'));
    expect(res.status).toBe(204);
    const { events } = await drain(t, next);
    const unitDoc = (id: string, name: string, parent: string | null) => ({
      org_unit_id: id,
      code: null,
      name,
      description: null,
      parent_org_unit_id: parent,
      project_id: null,
      external_id: null,
      valid_from: null,
      valid_to: null,
    });
    const common = { id: CURSOR, at: ISO, actor: admin, request_id: 'req-cascade', op: 'delete', after: null };
    expect([...events].sort((a, b) => a.entity_id.localeCompare(b.entity_id))).toEqual(
      [
        {
          ...common,
          entity: 'org-person',
          entity_id: assignment,
          changed: ['org_person_id', 'person_id', 'org_unit_id', 'org_role_id', 'valid_from', 'valid_to'],
          before: { org_person_id: assignment, person_id: person, org_unit_id: child, org_role_id: role, valid_from: null, valid_to: null },
        },
        {
          ...common,
          entity: 'org-unit',
          entity_id: child,
          changed: [
            'org_unit_id',
            'code',
            'name',
            'description',
            'parent_org_unit_id',
            'project_id',
            'external_id',
            'valid_from',
            'valid_to',
          ],
          before: unitDoc(child, 'Child', root),
        },
        {
          ...common,
          entity: 'org-unit',
          entity_id: root,
          changed: [
            'org_unit_id',
            'code',
            'name',
            'description',
            'parent_org_unit_id',
            'project_id',
            'external_id',
            'valid_from',
            'valid_to',
          ],
          before: unitDoc(root, 'Root', null),
        },
      ].sort((a, b) => a.entity_id.localeCompare(b.entity_id)),
    );
    // The assignment goes before the units it points at: the log replays in order.
    expect(events[0].entity).toBe('org-person');
  });

  it('records role and assignment writes in the 4HSE dialect, historicize included', async () => {
    const role = await f.role({ name: 'Lead', code: 'L' });
    const { next } = await drain(t);
    const res = await t
      .http()
      .put(`/v2/org-role/update/${role}`)
      .set(write(t.tokens.powerUser, 'req-role'))
      .send({ name: 'Leader', description: 'Leads' });
    expect(res.status).toBe(200);
    const hist = await t
      .http()
      .post(`/v2/org-role/historicize/${role}`)
      .set(write(t.tokens.powerUser, 'req-role-hist'))
      .send({ date: '2030-01-01T00:00:00.000Z' });
    expect(hist.status).toBe(200);
    const { events } = await drain(t, next);
    const base = { org_role_id: role, code: 'L', name: 'Lead', description: null, project_id: null, valid_from: null, valid_to: null };
    const renamed = { ...base, name: 'Leader', description: 'Leads' };
    expect(events).toEqual([
      {
        id: CURSOR,
        at: ISO,
        actor: powerUser,
        request_id: 'req-role',
        entity: 'org-role',
        entity_id: role,
        op: 'update',
        changed: ['name', 'description'],
        before: base,
        after: renamed,
      },
      {
        id: CURSOR,
        at: ISO,
        actor: powerUser,
        request_id: 'req-role-hist',
        entity: 'org-role',
        entity_id: role,
        op: 'historicize',
        changed: ['valid_to'],
        before: renamed,
        after: { ...renamed, valid_to: '2030-01-01T00:00:00.000Z' },
      },
    ]);
  });

  it('pages with limit and next, filters by entity and entity_id, and answers the cursor itself when nothing came', async () => {
    const a = await f.person({ email: 'a@example.com' });
    const u = await f.unit({ name: 'U' });
    const b = await f.person({ email: 'b@example.com' });
    const first = await t.http().get('/api/v2/changes').query({ limit: '2' }).set(bearer(t.tokens.admin));
    expect(first.status).toBe(200);
    const page1 = first.body as { data: FeedEvent[]; next: string };
    expect(page1.data.map((e) => e.entity_id)).toEqual([a, u]);
    expect(page1.next).toBe(page1.data[1].id);
    const second = await t.http().get('/api/v2/changes').query({ limit: '2', after: page1.next }).set(bearer(t.tokens.admin));
    expect((second.body as { data: FeedEvent[] }).data.map((e) => e.entity_id)).toEqual([b]);
    const people = await drain(t, undefined, { entity: 'person' });
    expect(people.events.map((e) => e.entity_id)).toEqual([a, b]);
    const one = await drain(t, undefined, { entity_id: u.replace(/-/g, '').toUpperCase() });
    expect(one.events.map((e) => [e.entity, e.entity_id, e.op])).toEqual([['org-unit', u, 'create']]);
    const end = (second.body as { next: string }).next;
    const empty = await t.http().get('/api/v2/changes').query({ after: end }).set(bearer(t.tokens.admin));
    expect(empty.body).toEqual({ data: [], next: end });
  });

  it('holds an empty answer with wait until a write commits, and answers empty when the time is up', async () => {
    const { next } = await drain(t);
    const started = Date.now();
    const idle = await t.http().get('/api/v2/changes').query({ after: next, wait: '1' }).set(bearer(t.tokens.admin));
    expect(idle.status).toBe(200);
    expect(idle.body).toEqual({ data: [], next });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);

    const waiting = t
      .http()
      .get('/api/v2/changes')
      .query({ after: next, wait: '20' })
      .set(bearer(t.tokens.admin))
      .then((r) => r);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const writeAt = Date.now();
    const id = await f.person({ email: 'late@example.com' });
    const res = await waiting;
    expect(res.status).toBe(200);
    expect((res.body as { data: FeedEvent[] }).data.map((e) => [e.entity_id, e.op])).toEqual([[id, 'create']]);
    expect(Date.now() - writeAt).toBeLessThan(3_000);
  });

  it('is for Administrators and above only', async () => {
    for (const token of [t.tokens.viewer, t.tokens.powerUser]) {
      const res = await t.http().get('/api/v2/changes').set(bearer(token));
      expect(res.status).toBe(403);
      expect(res.body).toEqual(problem(403, 'forbidden'));
    }
    for (const token of [t.tokens.admin, t.tokens.opseraAdmin]) {
      expect((await t.http().get('/api/v2/changes').set(bearer(token))).status).toBe(200);
    }
    expect((await t.http().get('/api/v2/changes')).status).toBe(401);
  });

  it.each([
    [{ after: 'not-a-cursor' }, 'after'],
    [{ after: 'x'.repeat(65) }, 'after'],
    [{ after: '%00' }, 'after'],
    [{ limit: '0' }, 'limit'],
    [{ limit: '1001' }, 'limit'],
    [{ limit: 'ten' }, 'limit'],
    [{ entity: 'token' }, 'entity'],
    [{ entity_id: 'nope' }, 'entity_id'],
    [{ wait: '31' }, 'wait'],
    [{ wait: '-1' }, 'wait'],
    [{ colour: 'red' }, 'colour'],
  ])('refuses %j with a 400 naming %s', async (query, field) => {
    const res = await t.http().get('/api/v2/changes').query(query).set(bearer(t.tokens.admin));
    expect(res.status).toBe(400);
    expect(res.body).toEqual(problem(400, 'validation-error', { errors: expect.any(Array) }));
    expect(errorFields(res)).toEqual([field]);
  });

  it('trims events older than the retention in the background and answers 410 for a cursor before them', async () => {
    await f.person({ email: 'old1@example.com' });
    await f.person({ email: 'old2@example.com' });
    const old = await drain(t);
    const kept = await f.person({ email: 'kept@example.com' });
    await t.sql(
      `update change_tx set committed_at = now() - interval '401 days' where xid in (select xid from change_event where entity_id in (select id from person where email like 'old%'))`,
    );
    const deleted = await t.app.get(ChangesService).trimExpired();
    expect(deleted).toBe(2);
    const expired = await t.http().get('/api/v2/changes').query({ after: old.events[0].id }).set(bearer(t.tokens.admin));
    expect(expired.status).toBe(410);
    expect(expired.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(expired.body).toEqual(problem(410, 'cursor-expired'));
    const fromStart = await drain(t);
    expect(fromStart.events.map((e) => e.entity_id)).toEqual([kept]);
    // The last trimmed event's id is older than the retention too.
    const lastTrimmed = await t.http().get('/api/v2/changes').query({ after: old.next }).set(bearer(t.tokens.admin));
    expect(lastTrimmed.status).toBe(410);
    await t.sql('update change_log_state set trimmed_through = 0');
  });

  it('keeps the actor null for writes outside a request (CLI, migrations)', async () => {
    await t.sql(`insert into org_role (id, name) values ('5a1e0000-0000-4000-8000-000000000001', 'Direct')`);
    const { events } = await drain(t);
    expect(events).toEqual([
      expect.objectContaining({
        actor: { token_id: null, token_name: null, role: null },
        request_id: null,
        entity: 'org-role',
        entity_id: '5a1e0000-0000-4000-8000-000000000001',
        op: 'create',
        id: CURSOR,
      }),
    ]);
  });

  // Migration20261202010000_log_cost3 finds the changed fields from the columns, not the documents:
  // the same answer, the documents' precision and the manager's email included.
  it('counts as changed exactly what the documents show: a time moved within its millisecond is no change, a new manager is managerId and managerEmail', async () => {
    const [mia, boss] = ['5a1e0000-0000-4000-8000-000000000002', '5a1e0000-0000-4000-8000-000000000003'];
    await t.sql(
      `insert into person (id, email, first_name, last_name, valid_from) values
                 (?, 'mia@example.com', 'Mia', 'Milli', '2026-01-01T00:00:00.123Z'), (?, 'boss2@example.com', 'Boss', 'Two', null)`,
      [mia, boss],
    );
    const { next } = await drain(t);
    await t.sql(`update person set valid_from = valid_from + interval '500 microseconds' where id = ?`, [mia]);
    expect(await drain(t, next)).toEqual({ events: [], next });

    await t.sql(`update person set manager_id = ?, valid_from = valid_from + interval '1 millisecond' where id = ?`, [boss, mia]);
    const { events } = await drain(t, next);
    const mias = {
      ...{ id: mia, email: 'mia@example.com', firstName: 'Mia', lastName: 'Milli', displayName: null, externalId: null },
      ...{ organization: null, business: null, department: null, group: null, team: null, validTo: null, createdAt: ISO, updatedAt: ISO },
    };
    expect(events.map(({ entity, entity_id, op, changed, before, after }) => ({ entity, entity_id, op, changed, before, after }))).toEqual([
      {
        entity: 'person',
        entity_id: mia,
        op: 'update',
        changed: ['managerId', 'managerEmail', 'validFrom'],
        before: { ...mias, managerId: null, managerEmail: null, validFrom: '2026-01-01T00:00:00.123Z' },
        after: { ...mias, managerId: boss, managerEmail: 'boss2@example.com', validFrom: '2026-01-01T00:00:00.124Z' },
      },
    ]);
  });

  it("logs each changed row of one update statement with its history row, both managers' emails read, nothing for an unchanged row", async () => {
    const [ann, bob, cid, m1, m2] = [4, 5, 6, 7, 8].map((n) => `5a1e0000-0000-4000-8000-00000000000${n}`);
    await t.sql(
      `insert into person (id, email, first_name, last_name) values (?, 'm1@example.com', 'M', 'One'), (?, 'm2@example.com', 'M', 'Two')`,
      [m1, m2],
    );
    await t.sql(
      `insert into person (id, email, first_name, last_name, manager_id, team) values
         (?, 'ann@example.com', 'Ann', 'A', ?, 'T'), (?, 'bob@example.com', 'Bob', 'B', ?, 'T'), (?, 'cid@example.com', 'Cid', 'C', ?, 'T')`,
      [ann, m1, bob, m1, cid, m1],
    );
    const { next } = await drain(t);
    const historyBefore = await t.sql<{ n: number }>(`select count(*)::int as n from person_history`);
    // One statement: Ann moves to m2, Bob changes team, Cid is written with the values it has.
    await t.sql(
      `update person set manager_id = case when id = ? then ?::uuid else manager_id end,
                         team = case when id = ? then 'U' else team end
        where id in (?, ?, ?)`,
      [ann, m2, bob, ann, bob, cid],
    );
    const { events } = await drain(t, next);
    const person = (id: string, email: string, firstName: string, lastName: string) => ({
      ...{ id, email, firstName, lastName, displayName: null, externalId: null, organization: null, business: null },
      ...{ department: null, group: null, validFrom: null, validTo: null, createdAt: ISO, updatedAt: ISO },
    });
    const anns = person(ann, 'ann@example.com', 'Ann', 'A');
    const bobs = person(bob, 'bob@example.com', 'Bob', 'B');
    const m1Fields = { managerId: m1, managerEmail: 'm1@example.com' };
    expect(
      events
        .map(({ entity, entity_id, op, changed, before, after }) => ({ entity, entity_id, op, changed, before, after }))
        .sort((a, b) => a.entity_id.localeCompare(b.entity_id)),
    ).toEqual([
      {
        ...{ entity: 'person', entity_id: ann, op: 'update', changed: ['managerId', 'managerEmail'] },
        before: { ...anns, team: 'T', ...m1Fields },
        after: { ...anns, team: 'T', managerId: m2, managerEmail: 'm2@example.com' },
      },
      {
        ...{ entity: 'person', entity_id: bob, op: 'update', changed: ['team'] },
        before: { ...bobs, team: 'T', ...m1Fields },
        after: { ...bobs, team: 'U', ...m1Fields },
      },
    ]);
    // The two events share the statement's transaction (one commit time); the history holds the two past rows only.
    expect(new Set(events.map((e) => e.at)).size).toBe(1);
    expect(await t.sql(`select id, team, manager_id from person_history where id in (?, ?, ?) order by email`, [ann, bob, cid])).toEqual([
      { id: ann, team: 'T', manager_id: m1 },
      { id: bob, team: 'T', manager_id: m1 },
    ]);
    expect(await t.sql<{ n: number }>(`select count(*)::int as n from person_history`)).toEqual([{ n: historyBefore[0].n + 2 }]);
  });

  it('logs a set-based update after a one-row update in the same session: no trigger keeps a plan for one row', async () => {
    // An update's event is written per row (no join to plan); the statement-level functions, left with
    // inserts and deletes that join nothing, no longer need enable_nestloop = off (Migration row_update_log).
    const functions = await t.sql<{ proname: string; proconfig: string[] | null }>(
      `select proname, proconfig from pg_proc where proname in ('change_log_person', 'change_log_org_unit', 'change_log_org_role', 'change_log_org_person') order by proname`,
    );
    expect(functions).toEqual(
      ['change_log_org_person', 'change_log_org_role', 'change_log_org_unit', 'change_log_person'].map((proname) => ({
        proname,
        proconfig: null,
      })),
    );
    const updateTriggers = await t.sql(
      `select tgname from pg_trigger where tgname like 'change_log_%' and (tgtype & 16) <> 0 and not tgisinternal order by tgname`,
    );
    expect(updateTriggers).toEqual([]);
    await t.sql(`insert into person (id, email, first_name, last_name, manager_id)
                 select gen_random_uuid(), 'bulk' || g || '@example.com', 'B', 'Ulk', null from generate_series(1, 3000) g`);
    const [boss] = await t.sql<{ id: string }>(`select id from person where email = 'bulk1@example.com'`);
    // One statement, so one session: a one-row update plans the triggers' statements, then 3,000 rows
    // (a new department for everyone, a manager for all but the boss) run with those plans.
    await t.sql(`do $$ begin
        update person set department = 'One' where email = 'bulk2@example.com';
        update person set department = 'All', manager_id = case when email = 'bulk1@example.com' then null else '${boss.id}'::uuid end;
      end $$`);
    expect(
      await t.sql(
        `select (select count(*)::int from change_event where op = 'update' and entity = 'person') as updates,
                          (select count(*)::int from reporting_line where ancestor_id = ? and depth = 1) as reports`,
        [boss.id],
      ),
    ).toEqual([{ updates: 3001, reports: 2999 }]);
  });
});
