import { SiteRole } from '../../src/common/auth/site-roles.js';
import { scimError } from '../support/scim-error.js';
import { bearer, createTestApp, ISO, type TestApp } from '../support/test-app.js';
import type { Response } from 'supertest';
import { truncateOrgTables } from '../support/org-factories.js';
import { SideConnection } from '../support/side-connection.js';

const USERS = '/scim/v2/Users';
const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const MANAGER = `${ENTERPRISE}:manager`;
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const SCIM_JSON = 'application/scim+json; charset=utf-8';
const ETAG = expect.stringMatching(/^"[A-Za-z0-9_-]{22}"$/);
const CYCLE = `${MANAGER}: would create a cycle`;
/** PersonRepository.lockReportingLines' advisory lock. */
const REPORTING_LINES_LOCK = 4242003;

/** Contract section 13.2: the enterprise extension's manager, written in every dialect, answered in the complex form. */
describe('SCIM 2.0 Users: the enterprise manager (contract sections 11, 13.2, 13.4, 13.5, 13.6)', () => {
  let t: TestApp;
  let writer: Record<string, string>;
  let writerId: string;
  let reader: Record<string, string>;
  let admin: Record<string, string>;

  beforeAll(async () => {
    t = await createTestApp();
    const w = await t.createToken(SiteRole.PowerUser, { scopes: ['scim'], name: 'entra' });
    writer = bearer(w.token);
    writerId = w.id;
    reader = bearer((await t.createToken(SiteRole.Viewer, { scopes: ['scim'] })).token);
    admin = bearer((await t.createToken(SiteRole.Administrator, { scopes: ['scim'] })).token);
  });
  afterAll(() => t.close());
  beforeEach(() => truncateOrgTables(t));

  const scimJson = { 'Content-Type': 'application/scim+json' };
  const post = (body: unknown) => t.http().post(USERS).set(writer).set(scimJson).send(JSON.stringify(body));
  const put = (id: string, body: unknown) => t.http().put(`${USERS}/${id}`).set(writer).set(scimJson).send(JSON.stringify(body));
  const patch = (id: string, ops: unknown[]) =>
    t
      .http()
      .patch(`${USERS}/${id}`)
      .set(writer)
      .set(scimJson)
      .send(JSON.stringify({ schemas: [PATCH_OP], Operations: ops }));
  const get = (id: string) => t.http().get(`${USERS}/${id}`).set(reader);
  const list = (filter: string, more = '') =>
    t
      .http()
      .get(`${USERS}?filter=${encodeURIComponent(filter)}${more}`)
      .set(reader);

  const user = (name: string, extra: Record<string, unknown> = {}) => ({
    schemas: [CORE],
    userName: `${name}@example.com`,
    name: { givenName: name, familyName: 'Test' },
    ...extra,
  });
  const create = async (name: string, extra: Record<string, unknown> = {}): Promise<string> => {
    const res = await post(user(name, extra));
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const managerOf = async (id: string) =>
    (await t.sql<{ manager_id: string | null }>('select manager_id from person where id = ?', [id]))[0].manager_id;
  // Absolute URLs: supertest serves each request on a port of its own.
  const ref = (id: string): unknown => expect.stringMatching(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/scim/v2/Users/${id}$`));
  const managed = (managerId: string) => ({ value: managerId, $ref: ref(managerId) });

  /** The whole User of `name` (created by `create`), with these extra members. */
  const whole = (name: string, id: string, extra: Record<string, unknown> = {}) => ({
    schemas: [CORE],
    id,
    userName: `${name}@example.com`,
    name: { givenName: name, familyName: 'Test' },
    active: true,
    emails: [{ value: `${name}@example.com`, type: 'work', primary: true }],
    meta: { resourceType: 'User', created: ISO, lastModified: ISO, location: ref(id), version: ETAG },
    ...extra,
  });

  describe("Entra ID's forms", () => {
    it('creates with a bare string manager and answers the complex form, on POST, GET and in lists', async () => {
      const boss = await create('boss');
      const created = await post(user('ada', { [ENTERPRISE]: { manager: boss } }));
      expect(created.status).toBe(201);
      expect(created.headers['content-type']).toBe(SCIM_JSON);
      const id = created.body.id as string;
      const expected = whole('ada', id, { schemas: [CORE, ENTERPRISE], [ENTERPRISE]: { manager: managed(boss) } });
      expect(created.body).toEqual(expected);
      expect(await managerOf(id)).toBe(boss);

      const read = await get(id);
      expect(read.status).toBe(200);
      expect(read.body).toEqual(expected);
      expect(read.headers['etag']).toBe(created.headers['etag']);

      const byManager = await list('manager.value eq "' + boss + '"');
      expect(byManager.status).toBe(200);
      expect(byManager.body).toEqual({ schemas: [LIST], totalResults: 1, itemsPerPage: 1, startIndex: 1, Resources: [expected] });

      // The Opsera dialect sees the same reporting line at once (contract section 13: one model).
      const opsera = await t.http().get('/api/v2/data/people/ada@example.com').set(bearer(t.tokens.viewer));
      expect(opsera.body).toMatchObject({ id, managerId: boss, managerEmail: 'boss@example.com' });
    });

    it('replaces with a URN path and a bare value, with a path-less URN key, and removes; each change one person update', async () => {
      const [first, second, id] = [await create('first'), await create('second'), await create('ada')];

      const replaced = await patch(id, [{ op: 'Replace', path: MANAGER, value: first }]).set('X-Request-Id', 'entra-manager-1');
      expect(replaced.status).toBe(200);
      expect(replaced.body).toEqual(whole('ada', id, { schemas: [CORE, ENTERPRISE], [ENTERPRISE]: { manager: managed(first) } }));

      const pathless = await patch(id, [{ op: 'Replace', value: { [MANAGER]: second } }]).set('X-Request-Id', 'entra-manager-2');
      expect(pathless.status).toBe(200);
      expect(pathless.body).toEqual(whole('ada', id, { schemas: [CORE, ENTERPRISE], [ENTERPRISE]: { manager: managed(second) } }));
      expect(await managerOf(id)).toBe(second);

      // The same manager again changes nothing and records nothing.
      expect((await patch(id, [{ op: 'Replace', path: MANAGER, value: second }])).status).toBe(200);

      const removed = await patch(id, [{ op: 'Remove', path: MANAGER }]).set('X-Request-Id', 'entra-manager-3');
      expect(removed.status).toBe(200);
      expect(removed.body).toEqual(whole('ada', id));
      expect(await managerOf(id)).toBeNull();

      const events = await t.sql<Record<string, unknown>>(
        `select op, request_id, actor ->> 'token_id' as token_id, changed, before ->> 'managerId' as before_manager,
                after ->> 'managerId' as after_manager from change_event where entity_id = ? and op <> 'create' order by seq`,
        [id],
      );
      // The person document of the change log (section 10.1) carries the manager's id and email.
      const update = { op: 'update', token_id: writerId, changed: ['managerId', 'managerEmail'] };
      expect(events).toEqual([
        { ...update, request_id: 'entra-manager-1', before_manager: null, after_manager: first },
        { ...update, request_id: 'entra-manager-2', before_manager: first, after_manager: second },
        { ...update, request_id: 'entra-manager-3', before_manager: second, after_manager: null },
      ]);
    });

    it('clears with "", null and {"value": ""}, sets through manager.value, and keeps the other enterprise attributes', async () => {
      const boss = await create('boss');
      const id = await create('ada', { [ENTERPRISE]: { department: 'R&D' } });
      const withBoss = { schemas: [CORE, ENTERPRISE], [ENTERPRISE]: { department: 'R&D', manager: managed(boss) } };
      const withoutBoss = { schemas: [CORE, ENTERPRISE], [ENTERPRISE]: { department: 'R&D' } };
      for (const [ops, expected] of [
        [[{ op: 'add', path: `${MANAGER}.value`, value: boss }], withBoss],
        [[{ op: 'replace', path: MANAGER, value: '' }], withoutBoss],
        [[{ op: 'replace', path: MANAGER, value: { value: boss.replace(/-/g, '').toUpperCase() } }], withBoss],
        [[{ op: 'replace', path: MANAGER, value: null }], withoutBoss],
        [[{ op: 'replace', value: { [ENTERPRISE]: { manager: { value: boss } } } }], withBoss],
        [[{ op: 'replace', path: MANAGER, value: { value: '' } }], withoutBoss],
      ] as const) {
        const res = await patch(id, ops as unknown as unknown[]);
        expect({ ops, status: res.status, body: res.body }).toEqual({ ops, status: 200, body: whole('ada', id, expected) });
      }
    });
  });

  describe("Okta's forms", () => {
    it('PUTs the manager as {value, displayName}, keeps it when the PUT omits the extension, clears it when the extension omits it', async () => {
      const boss = await create('boss');
      const id = await create('ada');
      const set = await put(id, user('ada', { [ENTERPRISE]: { department: 'R&D', manager: { value: boss, displayName: 'The Boss' } } }));
      expect(set.status).toBe(200);
      expect(set.body).toEqual(
        whole('ada', id, { schemas: [CORE, ENTERPRISE], [ENTERPRISE]: { department: 'R&D', manager: managed(boss) } }),
      );

      const kept = await put(id, user('ada', { displayName: 'Ada' }));
      expect(kept.status).toBe(200);
      expect(kept.body).toEqual(
        whole('ada', id, {
          displayName: 'Ada',
          schemas: [CORE, ENTERPRISE],
          [ENTERPRISE]: { department: 'R&D', manager: managed(boss) },
        }),
      );

      const cleared = await put(id, user('ada', { [ENTERPRISE]: { department: 'Maths' } }));
      expect(cleared.status).toBe(200);
      expect(cleared.body).toEqual(whole('ada', id, { schemas: [CORE, ENTERPRISE], [ENTERPRISE]: { department: 'Maths' } }));
      expect(await managerOf(id)).toBeNull();
    });

    it("takes the manager's userName (any case) instead of its id, and echoes of $ref are ignored", async () => {
      const boss = await create('boss');
      const id = await create('ada');
      const res = await patch(id, [
        { op: 'replace', value: { [ENTERPRISE]: { manager: { value: 'BOSS@example.com', $ref: 'https://elsewhere/x' } } } },
      ]);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(whole('ada', id, { schemas: [CORE, ENTERPRISE], [ENTERPRISE]: { manager: managed(boss) } }));
    });
  });

  describe('refused managers', () => {
    it('an unknown manager is a 400 invalidValue naming the attribute; nothing is written, nothing recorded', async () => {
      const id = await create('ada', { displayName: 'Ada' });
      const unknown = '00000000-0000-4000-8000-000000000000';
      const before = await t.sql('select count(*)::int as n from change_event');
      const cases: [string, () => ReturnType<typeof post>, string][] = [
        [
          'PATCH by id',
          () => patch(id, [{ op: 'replace', path: MANAGER, value: unknown }]),
          `${MANAGER}: no person with this id or userName: ${unknown}`,
        ],
        [
          'PATCH by userName, after another operation',
          () =>
            patch(id, [
              { op: 'replace', path: 'displayName', value: 'Changed' },
              { op: 'replace', path: MANAGER, value: 'nobody@example.com' },
            ]),
          `${MANAGER}: no person with this id or userName: nobody@example.com`,
        ],
        [
          'PUT',
          () => put(id, user('ada', { [ENTERPRISE]: { manager: { value: unknown } } })),
          `${MANAGER}: no person with this id or userName: ${unknown}`,
        ],
        [
          'POST',
          () => post(user('bob', { [ENTERPRISE]: { manager: unknown } })),
          `${MANAGER}: no person with this id or userName: ${unknown}`,
        ],
        [
          'a number',
          () => patch(id, [{ op: 'replace', path: MANAGER, value: 42 }]),
          `${MANAGER}: must be a person id or userName, or an object with one as value`,
        ],
        [
          'an unknown member',
          () => patch(id, [{ op: 'replace', path: MANAGER, value: { id: unknown } }]),
          `${MANAGER}.id: is not an attribute of manager`,
        ],
      ];
      for (const [name, send, detail] of cases) {
        const res = await send();
        expect({ name, status: res.status, body: res.body }).toEqual({ name, status: 400, body: scimError(400, 'invalidValue', detail) });
      }
      expect(await t.sql('select display_name, manager_id from person where id = ?', [id])).toEqual([
        { display_name: 'Ada', manager_id: null },
      ]);
      expect(await t.sql('select count(*)::int as n from person')).toEqual([{ n: 1 }]);
      expect(await t.sql('select count(*)::int as n from change_event')).toEqual(before);
    });

    it('self-management and loops are 400 invalidValue "would create a cycle" (contract section 11); nothing written', async () => {
      const [a, b, c] = [await create('a'), await create('b'), await create('c')];
      expect((await patch(b, [{ op: 'replace', path: MANAGER, value: a }])).status).toBe(200);
      expect((await patch(c, [{ op: 'replace', path: MANAGER, value: b }])).status).toBe(200);
      for (const [name, send] of [
        ['self', () => patch(a, [{ op: 'replace', path: MANAGER, value: a }])],
        ['direct loop', () => patch(a, [{ op: 'replace', path: MANAGER, value: b }])],
        ['loop of three, by userName', () => patch(a, [{ op: 'replace', value: { [MANAGER]: 'C@example.com' } }])],
        ['PUT', () => put(a, user('a', { [ENTERPRISE]: { manager: { value: c } } }))],
      ] as const) {
        const res = await send();
        expect({ name, status: res.status, body: res.body }).toEqual({ name, status: 400, body: scimError(400, 'invalidValue', CYCLE) });
      }
      expect(await t.sql('select email, manager_id from person order by email')).toEqual([
        { email: 'a@example.com', manager_id: null },
        { email: 'b@example.com', manager_id: a },
        { email: 'c@example.com', manager_id: b },
      ]);
    });

    it('two opposite assignments racing: exactly one wins, the other is refused (never a 500), no cycle is stored', async () => {
      for (let round = 0; round < 8; round++) {
        await truncateOrgTables(t);
        const [a, b] = [await create('a'), await create('b')];
        // Both dialects and both SCIM forms, in turn, against each other.
        const sends = [
          () => patch(a, [{ op: 'Replace', path: MANAGER, value: b }]),
          round % 2 === 0
            ? () => patch(b, [{ op: 'replace', value: { [ENTERPRISE]: { manager: { value: a } } } }])
            : () =>
                t.http().put('/api/v2/data/people/b@example.com').set(bearer(t.tokens.powerUser)).send({ managerEmail: 'a@example.com' }),
        ];
        const answers = await Promise.all(sends.map((send) => send().then((r) => r)));
        const statuses = answers.map((r) => r.status).sort();
        expect({ round, statuses }).toEqual({ round, statuses: [200, 400] });
        const refused = answers.find((r) => r.status === 400)!;
        expect(refused.body).toEqual(
          refused.request.url.includes('/scim/')
            ? scimError(400, 'invalidValue', CYCLE)
            : expect.objectContaining({ status: 400, errors: [{ field: 'managerEmail', message: 'would create a cycle' }] }),
        );
        const stored = await t.sql<{ manager_id: string | null }>('select manager_id from person order by email');
        expect(stored.filter((p) => p.manager_id !== null)).toHaveLength(1);
      }
    });

    it('a manager change takes the reporting-lines lock before the row lock, as every other change of a reporting line', async () => {
      // The order that keeps two opposite changes from deadlocking: the second waits for the first
      // to commit, then its loop check sees it (without the lock they deadlock and are retried).
      const side = SideConnection.open(t);
      try {
        const boss = await create('boss');
        const id = await create('ada');
        const held = await side.advisoryLock(REPORTING_LINES_LOCK);
        let pending: Promise<Response>;
        try {
          pending = patch(id, [{ op: 'replace', path: MANAGER, value: boss }]).then((r) => r);
          await SideConnection.until(async () => (await side.appSessionsWaitingOnLocks()) === 1, 10_000, 'the manager change waiting');
          // It holds no row lock while it waits: another write of the same person goes through.
          const other = await patch(id, [{ op: 'replace', path: 'displayName', value: 'Ada' }]);
          expect(other.status).toBe(200);
          expect(await managerOf(id)).toBeNull();
        } finally {
          await held.release();
        }
        const res = await pending;
        expect(res.status).toBe(200);
        expect(res.body).toEqual(
          whole('ada', id, { displayName: 'Ada', schemas: [CORE, ENTERPRISE], [ENTERPRISE]: { manager: managed(boss) } }),
        );
      } finally {
        await side.close();
      }
    });

    it('a manager deleted while being assigned: the assignment is refused or the report is freed, never a 500', async () => {
      const boss = await create('boss');
      const id = await create('ada');
      const [assigned, deleted] = await Promise.all([
        patch(id, [{ op: 'replace', path: MANAGER, value: boss }]).then((r) => r),
        t
          .http()
          .delete(`${USERS}/${boss}`)
          .set(admin)
          .then((r) => r),
      ]);
      expect(deleted.status).toBe(204);
      expect([200, 400]).toContain(assigned.status);
      if (assigned.status === 400) expect(assigned.body).toEqual(scimError(400, 'invalidValue', expect.stringContaining(`${MANAGER}: `)));
      expect(await managerOf(id)).toBeNull();
      expect((await get(id)).body).toEqual(whole('ada', id));
    });
  });

  describe('lists', () => {
    it('filters on manager.value (also URN-qualified), pr, and sorts by it, paged by index and by cursor', async () => {
      const boss = await create('boss');
      const [x, y] = [
        await create('x', { [ENTERPRISE]: { manager: boss } }),
        await create('y', { [ENTERPRISE]: { manager: { value: boss } } }),
      ];
      const z = await create('z', { [ENTERPRISE]: { manager: x } });
      const ids = (res: { body: { Resources: { id: string }[] } }) => res.body.Resources.map((r) => r.id);
      for (const [filter, expected] of [
        [`manager.value eq "${boss}"`, [x, y]],
        [`${MANAGER}.value eq "${x.toUpperCase()}"`, [z]],
        ['manager.value pr', [x, y, z]],
        [`not (manager.value pr) or manager.value eq "${x}"`, [boss, z]],
        ['manager.value eq "not an id"', []],
      ] as const) {
        const res = await list(filter, '&sortBy=userName');
        expect({ filter, status: res.status, ids: ids(res) }).toEqual({ filter, status: 200, ids: expected });
      }
      const sorted = await t
        .http()
        .get(`${USERS}?sortBy=manager.value&attributes=${encodeURIComponent(MANAGER)}`)
        .set(reader);
      const byManager = [x, y, z].sort((p, q) => {
        const [mp, mq] = [p === z ? x : boss, q === z ? x : boss];
        return mp === mq ? (p < q ? -1 : 1) : mp < mq ? -1 : 1;
      });
      expect(ids(sorted)).toEqual([...byManager, boss]);
      expect(sorted.body.Resources[0]).toEqual({
        schemas: [CORE, ENTERPRISE],
        id: byManager[0],
        [ENTERPRISE]: { manager: managed(byManager[0] === z ? x : boss) },
      });

      // Cursor pages in the same order (the id-less ones, with an empty key, come first there).
      const first = await t.http().get(`${USERS}?sortBy=manager.value&cursor=&count=2`).set(reader);
      expect(first.status).toBe(200);
      const second = await t.http().get(`${USERS}?sortBy=manager.value&cursor=${first.body.nextCursor}&count=2`).set(reader);
      expect(second.status).toBe(200);
      expect(second.body.nextCursor).toBeUndefined();
      expect([...ids(first), ...ids(second)]).toEqual([boss, ...byManager]);
    });
  });

  describe('deletes', () => {
    it("a deleted manager's reports keep existing without a manager, each with a person update event", async () => {
      const boss = await create('boss');
      const id = await create('ada', { [ENTERPRISE]: { manager: boss, department: 'R&D' } });
      const deleted = await t.http().delete(`${USERS}/${boss}`).set(admin).set('X-Request-Id', 'scim-delete-boss');
      expect(deleted.status).toBe(204);
      expect((await get(id)).body).toEqual(whole('ada', id, { schemas: [CORE, ENTERPRISE], [ENTERPRISE]: { department: 'R&D' } }));
      expect(await t.sql("select op, changed from change_event where entity_id = ? and request_id = 'scim-delete-boss'", [id])).toEqual([
        { op: 'update', changed: ['managerId', 'managerEmail'] },
      ]);
    });
  });
});
