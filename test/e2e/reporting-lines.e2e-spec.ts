import { PeopleService } from '../../src/people/people.service.js';
import { InvalidInputError, EntityNotFoundError } from '../../src/common/errors/domain-errors.js';
import { drain, truncateChangeLog } from '../support/changes.js';
import { bearer, createTestApp, problem, type TestApp } from '../support/test-app.js';
import { instant, personBody } from '../support/as-of.js';

/**
 * Reporting lines (contract section 11, issue 13 point 3): managerEmail in, managerId and managerEmail
 * out; loops refused with 400 "would create a cycle", also when two opposite changes race; the
 * reports (depth 1, n, all) and the manager chain, now and as of an instant (section 10.2); deletes of
 * managers (section 5).
 */
describe('Reporting lines', () => {
  let t: TestApp;
  let writer: Record<string, string>;
  let viewer: Record<string, string>;
  let admin: Record<string, string>;

  beforeAll(async () => {
    t = await createTestApp();
    writer = bearer(t.tokens.powerUser);
    viewer = bearer(t.tokens.viewer);
    admin = bearer(t.tokens.admin);
  });
  afterAll(() => t.close());
  beforeEach(() => t.sql('truncate org_person, org_unit, org_role, person cascade'));

  const PEOPLE = '/api/v2/data/people';

  interface Person {
    id: string;
    email: string;
    firstName: string;
    lastName: string;
  }

  async function person(email: string, extra: Record<string, unknown> = {}): Promise<Person> {
    const [first, last] = email.split('@')[0].split('.');
    const res = await t
      .http()
      .post(PEOPLE)
      .set(writer)
      .send({ email, firstName: first, lastName: last ?? 'X', ...extra });
    expect(res.status).toBe(201);
    return res.body as Person;
  }

  const put = (email: string, body: Record<string, unknown>) => t.http().put(`${PEOPLE}/${email}`).set(writer).send(body);
  const managerOf = async (id: string) => (await t.sql<{ m: string | null }>('select manager_id as m from person where id = ?', [id]))[0].m;
  const names = (body: { data: { firstName: string; depth: number }[] }) => body.data.map((p) => `${p.firstName}:${p.depth}`);
  /** reporting_line as it must be: every (manager at any level, report, depth) by walking manager_id, plus (p, p, 0). */
  const drift = () =>
    t.sql<{ n: number }>(
      `with recursive up(person_id, ancestor_id, depth) as (
         select id, id, 0 from person
         union all
         select u.person_id, p.manager_id, u.depth + 1 from up u join person p on p.id = u.ancestor_id where p.manager_id is not null)
       select count(*)::int as n from (
         (select ancestor_id, person_id, depth from up except all select ancestor_id, person_id, depth from reporting_line)
         union all
         (select ancestor_id, person_id, depth from reporting_line except all select ancestor_id, person_id, depth from up)) d`,
    );

  /** boss <- (alice <- (carol, dave <- erin), bob <- frank) */
  async function tree() {
    const boss = await person('boss.top@example.com');
    const alice = await person('alice.a@example.com', { managerEmail: 'BOSS.TOP@example.com' });
    const bob = await person('bob.b@example.com', { managerEmail: boss.email });
    const carol = await person('carol.c@example.com', { managerEmail: alice.email });
    const dave = await person('dave.d@example.com', { managerEmail: alice.email });
    const erin = await person('erin.e@example.com', { managerEmail: dave.email });
    const frank = await person('frank.f@example.com', { managerEmail: bob.email });
    return { boss, alice, bob, carol, dave, erin, frank };
  }

  describe('managerEmail on create and update', () => {
    it('creates a person with a manager named case-insensitively and answers its id and stored email', async () => {
      const grace = await person('Grace.Hopper@Example.com');
      const res = await t
        .http()
        .post(PEOPLE)
        .set(writer)
        .send({ email: 'ada@example.com', firstName: 'Ada', lastName: 'L', managerEmail: 'grace.hopper@example.com' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ managerId: grace.id, managerEmail: 'Grace.Hopper@Example.com' });
      expect(await managerOf(res.body.id)).toBe(grace.id);
      const got = await t.http().get(`${PEOPLE}/ada@example.com`).set(viewer);
      expect(got.body).toMatchObject({ managerId: grace.id, managerEmail: 'Grace.Hopper@Example.com' });
    });

    it('answers managerId and managerEmail null for a person without a manager', async () => {
      const res = await t
        .http()
        .post(PEOPLE)
        .set(writer)
        .send({ email: 'solo@example.com', firstName: 'S', lastName: 'L', managerEmail: null });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ managerId: null, managerEmail: null });
    });

    it('refuses an unknown manager on create with a 400 naming managerEmail, writing nothing', async () => {
      const res = await t
        .http()
        .post(PEOPLE)
        .set(writer)
        .send({ email: 'ada@example.com', firstName: 'Ada', lastName: 'L', managerEmail: 'nobody@example.com' });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(
        problem(400, 'validation-error', { errors: [{ field: 'managerEmail', message: 'no person with email nobody@example.com' }] }),
      );
      expect(await t.sql('select count(*)::int as n from person')).toEqual([{ n: 0 }]);
    });

    it('refuses a managerEmail that is not an email, or not a string', async () => {
      for (const managerEmail of ['not-an-email', 42, '']) {
        const res = await t
          .http()
          .post(PEOPLE)
          .set(writer)
          .send({ email: 'ada@example.com', firstName: 'Ada', lastName: 'L', managerEmail });
        expect(res.status).toBe(400);
        expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('managerEmail');
      }
    });

    it('sets, keeps (absent) and clears (null) the manager on PUT, with a new ETag each time it changes', async () => {
      const grace = await person('grace.h@example.com');
      const ada = await person('ada.l@example.com');
      const set = await put(ada.email, { managerEmail: 'GRACE.H@example.com' });
      expect(set.status).toBe(200);
      expect(set.body).toMatchObject({ managerId: grace.id, managerEmail: grace.email });
      const kept = await put(ada.email, { team: 'Compilers' });
      expect(kept.body).toMatchObject({ team: 'Compilers', managerId: grace.id, managerEmail: grace.email });
      expect(kept.headers['etag']).not.toBe(set.headers['etag']);
      const cleared = await put(ada.email, { managerEmail: null });
      expect(cleared.status).toBe(200);
      expect(cleared.body).toMatchObject({ managerId: null, managerEmail: null });
      expect(await managerOf(ada.id)).toBeNull();
    });

    it('shows the manager’s current email after the manager changes it', async () => {
      const grace = await person('grace.h@example.com');
      await person('ada.l@example.com', { managerEmail: grace.email });
      expect((await put(grace.email, { email: 'Grace@Navy.example.com' })).status).toBe(200);
      const got = await t.http().get(`${PEOPLE}/ada.l@example.com`).set(viewer);
      expect(got.body).toMatchObject({ managerId: grace.id, managerEmail: 'Grace@Navy.example.com' });
    });

    it('refuses an unknown manager on PUT (400 naming managerEmail) and 404s an unknown person first', async () => {
      await person('ada.l@example.com');
      const res = await put('ada.l@example.com', { managerEmail: 'nobody@example.com' });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ field: 'managerEmail', message: 'no person with email nobody@example.com' }]);
      expect((await put('ghost@example.com', { managerEmail: 'ada.l@example.com' })).status).toBe(404);
    });

    it('refuses a person managing themselves, in any case of the email', async () => {
      const ada = await person('ada.l@example.com');
      const res = await put(ada.email, { managerEmail: 'ADA.L@EXAMPLE.COM' });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(problem(400, 'validation-error', { errors: [{ field: 'managerEmail', message: 'would create a cycle' }] }));
      expect(await managerOf(ada.id)).toBeNull();
    });

    it('refuses a manager chain that would loop, at any depth, and leaves the tree as it was', async () => {
      const { boss, erin, alice } = await tree();
      for (const [who, manager] of [
        [boss.email, erin.email],
        [alice.email, erin.email],
        [boss.email, alice.email],
      ]) {
        const res = await put(who, { managerEmail: manager });
        expect(res.status).toBe(400);
        expect(res.body.errors).toEqual([{ field: 'managerEmail', message: 'would create a cycle' }]);
      }
      expect(await managerOf(boss.id)).toBeNull();
      // A move that does not loop is fine: erin up under boss.
      expect((await put(erin.email, { managerEmail: boss.email })).status).toBe(200);
    });

    it('guards loops in the database too: the CHECK and the trigger refuse what the API would', async () => {
      const { boss, erin } = await tree();
      await expect(t.sql('update person set manager_id = id where id = ?', [boss.id])).rejects.toThrow(/would create a cycle/);
      const self = '0b8f1f5e-2c1d-4a55-9a3e-5d9f3e1c2b10';
      await expect(
        t.sql("insert into person (id, email, first_name, last_name, manager_id) values (?, 'self@example.com', 'S', 'S', ?)", [
          self,
          self,
        ]),
      ).rejects.toThrow(/person_manager_not_self/);
      await expect(t.sql('update person set manager_id = ? where id = ?', [erin.id, boss.id])).rejects.toThrow(/would create a cycle/);
    });

    it('records managerId and managerEmail in the change log’s person documents', async () => {
      const grace = await person('grace.h@example.com');
      await truncateChangeLog(t);
      const ada = await person('ada.l@example.com', { managerEmail: grace.email });
      await put(ada.email, { managerEmail: null });
      const { events } = await drain(t, undefined, { entity: 'person' });
      expect(events.map((e) => [e.op, e.changed.includes('managerId') ? 'managerId' : '-'])).toEqual([
        ['create', 'managerId'],
        ['update', 'managerId'],
      ]);
      expect(events[0].after).toMatchObject({ managerId: grace.id, managerEmail: grace.email });
      expect(events[1].changed).toEqual(['managerId', 'managerEmail']);
      expect(events[1].after).toMatchObject({ managerId: null, managerEmail: null });
    });
  });

  describe('GET /api/v2/data/people/{email}/reports', () => {
    it('answers the direct reports by default, sorted like the people list, each with depth 1', async () => {
      await tree();
      const res = await t.http().get(`${PEOPLE}/Boss.Top@example.com/reports?sort=email`).set(viewer);
      expect(res.status).toBe(200);
      expect(res.headers['x-pagination-total-count']).toBe('2');
      expect(res.body.count).toBe(2);
      expect(res.body.data[0]).toEqual(
        personBody({
          email: 'alice.a@example.com',
          firstName: 'alice',
          lastName: 'a',
          managerId: expect.any(String),
          managerEmail: 'boss.top@example.com',
          depth: 1,
        }),
      );
      expect(names(res.body)).toEqual(['alice:1', 'bob:1']);
    });

    it('goes down n levels with depth=n and every level with depth=all', async () => {
      await tree();
      const two = await t.http().get(`${PEOPLE}/boss.top@example.com/reports?depth=2&sort=firstName`).set(viewer);
      expect(names(two.body)).toEqual(['alice:1', 'bob:1', 'carol:2', 'dave:2', 'frank:2']);
      const all = await t.http().get(`${PEOPLE}/boss.top@example.com/reports?depth=all&sort=-firstName`).set(viewer);
      expect(names(all.body)).toEqual(['frank:2', 'erin:3', 'dave:2', 'carol:2', 'bob:1', 'alice:1']);
      expect(all.body.count).toBe(6);
      const leaf = await t.http().get(`${PEOPLE}/erin.e@example.com/reports?depth=all`).set(viewer);
      expect(leaf.status).toBe(200);
      expect(leaf.body).toEqual({ count: 0, data: [] });
    });

    it('pages like the people list, with the X-Pagination-* and Link headers', async () => {
      await tree();
      const res = await t.http().get(`${PEOPLE}/boss.top@example.com/reports?depth=all&sort=firstName&per-page=2&page=2`).set(viewer);
      expect(res.status).toBe(200);
      expect(res.headers['x-pagination-current-page']).toBe('2');
      expect(res.headers['x-pagination-page-count']).toBe('3');
      expect(res.headers['x-pagination-per-page']).toBe('2');
      expect(res.headers['x-pagination-total-count']).toBe('6');
      const base = `${PEOPLE}/boss.top@example.com/reports?depth=all&sort=firstName&per-page=2`;
      expect(res.headers['link']).toBe(
        `<${base}&page=1>; rel="first", <${base}&page=1>; rel="prev", <${base}&page=3>; rel="next", <${base}&page=3>; rel="last"`,
      );
      expect(names(res.body)).toEqual(['carol:2', 'dave:2']);
    });

    it('leaves out inactive reports unless history=true, but still lists the reports below them', async () => {
      const { dave } = await tree();
      expect((await put(dave.email, { validTo: '2020-01-01T00:00:00Z' })).status).toBe(200);
      const res = await t.http().get(`${PEOPLE}/alice.a@example.com/reports?depth=all&sort=firstName`).set(viewer);
      expect(names(res.body)).toEqual(['carol:1', 'erin:2']);
      const history = await t.http().get(`${PEOPLE}/alice.a@example.com/reports?depth=all&sort=firstName&history=true`).set(viewer);
      expect(names(history.body)).toEqual(['carol:1', 'dave:1', 'erin:2']);
      expect(history.body.data[1].active).toBe(false);
    });

    it('answers 404 for an unknown person and 400 naming a bad parameter', async () => {
      await tree();
      const missing = await t.http().get(`${PEOPLE}/ghost@example.com/reports`).set(viewer);
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual(problem(404, 'not-found'));
      for (const [query, field] of [
        ['depth=0', 'depth'],
        ['depth=1001', 'depth'],
        ['depth=every', 'depth'],
        ['depth=-1', 'depth'],
        ['per-page=0', 'per-page'],
        ['sort=salary', 'sort'],
        ['history=maybe', 'history'],
        ['shoe=1', 'shoe'],
      ]) {
        const res = await t.http().get(`${PEOPLE}/boss.top@example.com/reports?${query}`).set(viewer);
        expect(res.status).toBe(400);
        expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      }
      const bad = await t.http().get(`${PEOPLE}/not-an-email/reports`).set(viewer);
      expect(bad.status).toBe(400);
      expect(bad.body.errors).toEqual([{ field: 'email', message: 'Invalid email format' }]);
    });

    it('needs a token: 401 without one', async () => {
      expect((await t.http().get(`${PEOPLE}/boss.top@example.com/reports`)).status).toBe(401);
      expect((await t.http().get(`${PEOPLE}/boss.top@example.com/managers`)).status).toBe(401);
    });
  });

  describe('GET /api/v2/data/people/{email}/managers', () => {
    it('answers the chain from the direct manager up to the top, each with its depth', async () => {
      const { boss, dave } = await tree();
      const res = await t.http().get(`${PEOPLE}/ERIN.E@example.com/managers`).set(viewer);
      expect(res.status).toBe(200);
      expect(res.body.count).toBe(3);
      expect(names(res.body)).toEqual(['dave:1', 'alice:2', 'boss:3']);
      expect(res.body.data[0]).toMatchObject({ id: dave.id, email: dave.email, active: true, depth: 1 });
      expect(res.body.data[2]).toMatchObject({ id: boss.id, managerId: null, managerEmail: null, depth: 3 });
      const top = await t.http().get(`${PEOPLE}/boss.top@example.com/managers`).set(viewer);
      expect(top.body).toEqual({ count: 0, data: [] });
    });

    it('includes inactive managers, with active: false, and 404s an unknown person', async () => {
      const { alice } = await tree();
      await put(alice.email, { validTo: '2020-01-01T00:00:00Z' });
      const res = await t.http().get(`${PEOPLE}/erin.e@example.com/managers`).set(viewer);
      expect(res.body.data.map((p: { active: boolean }) => p.active)).toEqual([true, false, true]);
      expect((await t.http().get(`${PEOPLE}/ghost@example.com/managers`).set(viewer)).status).toBe(404);
    });
  });

  describe('deleting a manager (contract section 5)', () => {
    it('refuses without force, listing the direct reports as related people, and changes nothing', async () => {
      const { alice, carol, dave } = await tree();
      const res = await t.http().delete(`${PEOPLE}/alice.a@example.com`).set(admin);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(
        problem(400, 'related-entities', {
          related: {
            counts: { person: 2 },
            items: [
              { type: 'person', id: carol.id, label: 'carol c <carol.c@example.com>' },
              { type: 'person', id: dave.id, label: 'dave d <dave.d@example.com>' },
            ],
          },
        }),
      );
      expect(await t.sql('select count(*)::int as n from person where manager_id = ?', [alice.id])).toEqual([{ n: 2 }]);
    });

    it('with force, clears the reports’ manager (one change event each, same request id) and never deletes them', async () => {
      const { alice, carol, dave, erin } = await tree();
      await truncateChangeLog(t);
      const res = await t
        .http()
        .delete(`${PEOPLE}/alice.a@example.com?force=true`)
        .set({ ...admin, 'X-Request-Id': 'req-force' });
      expect(res.status).toBe(204);
      expect(await t.sql('select count(*)::int as n from person where id = ?', [alice.id])).toEqual([{ n: 0 }]);
      expect(await managerOf(carol.id)).toBeNull();
      expect(await managerOf(dave.id)).toBeNull();
      expect(await managerOf(erin.id)).toBe(dave.id);
      const { events } = await drain(t);
      expect(events.map((e) => [e.request_id, e.op, e.entity_id]).sort()).toEqual(
        [
          ['req-force', 'update', carol.id],
          ['req-force', 'update', dave.id],
          ['req-force', 'delete', alice.id],
        ].sort(),
      );
      for (const e of events.filter((x) => x.op === 'update')) {
        expect(e.changed).toEqual(['managerId', 'managerEmail']);
        expect(e.before).toMatchObject({ managerId: alice.id, managerEmail: alice.email });
      }
    });

    it('lists assignments and reports together when both exist', async () => {
      await tree();
      const unit = await t.http().post('/v2/org-unit/create').set(writer).send({ name: 'Unit' });
      const alice = await t.http().get(`${PEOPLE}/alice.a@example.com`).set(viewer);
      expect(
        (await t.http().post('/v2/org-person/create').set(writer).send({ person_id: alice.body.id, org_unit_id: unit.body.org_unit_id }))
          .status,
      ).toBe(201);
      const res = await t.http().delete(`${PEOPLE}/alice.a@example.com`).set(admin);
      expect(res.status).toBe(400);
      expect(res.body.related.counts).toEqual({ 'org-person': 1, person: 2 });
      expect(res.body.related.items.map((i: { type: string }) => i.type)).toEqual(['org-person', 'person', 'person']);
      expect((await t.http().delete(`${PEOPLE}/alice.a@example.com?force=1`).set(admin)).status).toBe(204);
      expect(await t.sql('select count(*)::int as n from person')).toEqual([{ n: 6 }]);
    });

    it('historicizing a manager keeps the reporting lines', async () => {
      const { alice } = await tree();
      expect((await t.http().delete(`${PEOPLE}/alice.a@example.com?historicize=true`).set(writer)).status).toBe(204);
      expect(await t.sql('select count(*)::int as n from person where manager_id = ?', [alice.id])).toEqual([{ n: 2 }]);
    });
  });

  describe('PeopleService.setManager (the seam for other front ends, such as SCIM)', () => {
    it('sets and clears a manager by ids with the same rules: unknown manager, loops, unknown person', async () => {
      const { boss, alice, erin } = await tree();
      const service = t.app.get(PeopleService);
      await service.setManager(erin.id, boss.id);
      expect(await managerOf(erin.id)).toBe(boss.id);
      await expect(service.setManager(boss.id, alice.id, 'manager')).rejects.toEqual(
        new InvalidInputError([{ field: 'manager', message: 'would create a cycle' }]),
      );
      await expect(service.setManager(boss.id, boss.id)).rejects.toBeInstanceOf(InvalidInputError);
      await expect(service.setManager(boss.id, '0b8f1f5e-2c1d-4a55-9a3e-5d9f3e1c2b10')).rejects.toEqual(
        new InvalidInputError([{ field: 'managerId', message: 'no person with this id' }]),
      );
      await expect(service.setManager('0b8f1f5e-2c1d-4a55-9a3e-5d9f3e1c2b10', null)).rejects.toBeInstanceOf(EntityNotFoundError);
      await service.setManager(erin.id, null);
      expect(await managerOf(erin.id)).toBeNull();
      expect(await managerOf(boss.id)).toBeNull();
    });
  });

  describe('the closure table reporting_line', () => {
    it('stays equal to the walk up manager_id through moves of whole subtrees, clears and deletes', async () => {
      const { boss, alice, bob, dave, frank } = await tree();
      expect(await drift()).toEqual([{ n: 0 }]);
      expect(await t.sql('select count(*)::int as n from reporting_line where ancestor_id = ? and depth > 0', [boss.id])).toEqual([
        { n: 6 },
      ]);
      // alice's subtree (carol, dave, erin) moves under frank, then dave's under bob, then bob loses his manager.
      expect((await put(alice.email, { managerEmail: frank.email })).status).toBe(200);
      expect(await drift()).toEqual([{ n: 0 }]);
      expect((await put(dave.email, { managerEmail: bob.email })).status).toBe(200);
      expect(await drift()).toEqual([{ n: 0 }]);
      expect((await put(bob.email, { managerEmail: null })).status).toBe(200);
      expect(await drift()).toEqual([{ n: 0 }]);
      const reports = await t.http().get(`${PEOPLE}/${bob.email}/reports?depth=all&sort=firstName`).set(viewer);
      expect(names(reports.body)).toEqual(['alice:2', 'carol:3', 'dave:1', 'erin:2', 'frank:1']);
      expect((await t.http().delete(`${PEOPLE}/${frank.email}?force=true`).set(admin)).status).toBe(204);
      expect(await drift()).toEqual([{ n: 0 }]);
      expect(await t.sql('select count(*)::int as n from reporting_line where ? in (ancestor_id, person_id)', [frank.id])).toEqual([
        { n: 0 },
      ]);
    });

    it('stays right for set-based statements that set several managers at once, in any order', async () => {
      const ids = Array.from({ length: 6 }, (_, i) => `0b8f1f5e-2c1d-4a55-9a3e-5d9f3e1c2b1${i}`);
      // One insert where people name managers inserted by the same statement, after them.
      await t.sql(
        `insert into person (id, email, first_name, last_name, manager_id) values
           (?, 'b5@example.com', 'B', '5', ?), (?, 'b4@example.com', 'B', '4', ?), (?, 'b3@example.com', 'B', '3', ?),
           (?, 'b2@example.com', 'B', '2', ?), (?, 'b1@example.com', 'B', '1', ?), (?, 'b0@example.com', 'B', '0', null)`,
        [ids[5], ids[4], ids[4], ids[3], ids[3], ids[2], ids[2], ids[1], ids[1], ids[0], ids[0]],
      );
      expect(await drift()).toEqual([{ n: 0 }]);
      // One update moving two nested subtrees: 2 (with 3, 4, 5) under 0, and 4 (with 5) under 1.
      await t.sql('update person set manager_id = case when id = ? then ?::uuid else ?::uuid end where id in (?, ?)', [
        ids[2],
        ids[0],
        ids[1],
        ids[2],
        ids[4],
      ]);
      expect(await drift()).toEqual([{ n: 0 }]);
      const reports = await t.http().get(`${PEOPLE}/b0@example.com/reports?depth=all&sort=email`).set(viewer);
      expect(reports.body.data.map((p: { email: string; depth: number }) => `${p.email}:${p.depth}`)).toEqual([
        'b1@example.com:1',
        'b2@example.com:1',
        'b3@example.com:2',
        'b4@example.com:2',
        'b5@example.com:3',
      ]);
    });
  });

  describe('races', () => {
    it('lets exactly one of two opposite manager changes win, never leaving a loop (many rounds)', async () => {
      for (let round = 0; round < 12; round++) {
        await t.sql('truncate person cascade');
        const a = await person(`a${round}.x@example.com`);
        const b = await person(`b${round}.x@example.com`);
        const [first, second] = await Promise.all([put(a.email, { managerEmail: b.email }), put(b.email, { managerEmail: a.email })]);
        expect([first.status, second.status].sort()).toEqual([200, 400]);
        const loser = first.status === 400 ? first : second;
        expect(loser.body.errors).toEqual([{ field: 'managerEmail', message: 'would create a cycle' }]);
        const managed = await t.sql<{ n: number }>('select count(*)::int as n from person where manager_id is not null');
        expect(managed).toEqual([{ n: 1 }]);
      }
    });

    it('never lets three people racing into a ring close it', async () => {
      for (let round = 0; round < 6; round++) {
        await t.sql('truncate person cascade');
        const ring = await Promise.all([0, 1, 2].map((i) => person(`r${i}.x${round}@example.com`)));
        const results = await Promise.all(ring.map((p, i) => put(p.email, { managerEmail: ring[(i + 1) % 3].email })));
        expect(results.map((r) => r.status).sort()).toEqual([200, 200, 400]);
        const cyclic = await t.sql<{ n: number }>(
          `with recursive up(start, id, steps) as (
             select id, manager_id, 1 from person where manager_id is not null
             union all select up.start, p.manager_id, up.steps + 1 from up join person p on p.id = up.id
              where p.manager_id is not null and up.steps < 10)
           select count(*)::int as n from up where steps >= 10 or id = start`,
        );
        expect(cyclic).toEqual([{ n: 0 }]);
      }
    });

    it('keeps the closure table right while a manager is cleared, a report below moved and another manager deleted at once', async () => {
      for (let round = 0; round < 6; round++) {
        await t.sql('truncate person cascade');
        const { alice, bob, carol, erin, frank } = await tree();
        const results = await Promise.all([
          put(alice.email, { managerEmail: null }),
          put(erin.email, { managerEmail: carol.email }),
          put(frank.email, { managerEmail: alice.email }),
          t.http().delete(`${PEOPLE}/${bob.email}?force=true`).set(admin),
        ]);
        expect(results.map((r) => r.status)).toEqual([200, 200, 200, 204]);
        expect(await drift()).toEqual([{ n: 0 }]);
      }
    });

    it('settles a manager deleted while a report is being assigned to them: 204/400 or 400/200, never a 500', async () => {
      for (let round = 0; round < 6; round++) {
        await t.sql('truncate person cascade');
        const m = await person(`m${round}.x@example.com`);
        const r = await person(`r${round}.x@example.com`);
        const [deleted, assigned] = await Promise.all([
          t.http().delete(`${PEOPLE}/${m.email}`).set(admin),
          put(r.email, { managerEmail: m.email }),
        ]);
        expect(['204/400', '400/200']).toContain(`${deleted.status}/${assigned.status}`);
        if (assigned.status === 400) expect(assigned.body.errors.map((e: { field: string }) => e.field)).toEqual(['managerEmail']);
      }
    });
  });
  describe('as of an instant (contract sections 10.2 and 11)', () => {
    const reports = (email: string, query: string) => t.http().get(`${PEOPLE}/${email}/reports?${query}`).set(viewer);
    const managers = (email: string, query: string) => t.http().get(`${PEOPLE}/${email}/managers?${query}`).set(viewer);
    const names = (body: { data: { firstName: string; depth: number }[] }) => body.data.map((p) => `${p.firstName}:${p.depth}`);

    /** The whole body of a person in a reporting line. */
    const inLine = (p: Person, depth: number, manager: { id: string; email: string } | null, fields: Record<string, unknown> = {}) =>
      personBody({
        id: p.id,
        email: p.email,
        firstName: p.firstName,
        lastName: p.lastName,
        managerId: manager?.id ?? null,
        managerEmail: manager?.email ?? null,
        depth,
        ...fields,
      });
    const putOk = async (email: string, body: Record<string, unknown>) => expect((await put(email, body)).status).toBe(200);

    /**
     * boss <- (alice <- (carol, dave <- erin), bob <- frank), then at `before`: dave moves under bob,
     * alice's email and department change, frank is deleted, gina joins under boss.
     */
    async function history() {
      const boss = await person('boss.top@example.com');
      const alice = await person('alice.a@example.com', { managerEmail: boss.email });
      const bob = await person('bob.b@example.com', { managerEmail: boss.email });
      const carol = await person('carol.c@example.com', { managerEmail: alice.email });
      const dave = await person('dave.d@example.com', { managerEmail: alice.email });
      const erin = await person('erin.e@example.com', { managerEmail: dave.email });
      const frank = await person('frank.f@example.com', { managerEmail: bob.email });
      const before = await instant();
      await putOk(dave.email, { managerEmail: bob.email });
      await putOk(alice.email, { email: 'alice.new@example.com', department: 'New' });
      expect((await t.http().delete(`${PEOPLE}/${frank.email}`).set(admin)).status).toBe(204);
      const gina = await person('gina.g@example.com', { managerEmail: boss.email });
      const after = await instant();
      const newAlice = { ...alice, email: 'alice.new@example.com' };
      return { boss, alice, newAlice, bob, carol, dave, erin, frank, gina, before, after };
    }

    describe('the closure table’s past (reporting_line_history)', () => {
      /** (ancestor, report, depth) by first name, sorted. */
      const lines = (rows: { a: string; p: string; depth: number }[]) => rows.map((r) => `${r.a}>${r.p}:${r.depth}`).sort();
      // This file empties the live tables only between tests.
      beforeEach(() => t.sql('truncate person_history, reporting_line_history'));

      it('keeps only the lines that ended: a move ends the lines that change (not those kept), a delete ends the person’s', async () => {
        await history();
        const ended = await t.sql<{ a: string; p: string; depth: number }>(
          `select (select a.first_name from person_versions a where a.id = h.ancestor_id limit 1) as a,
                  (select p.first_name from person_versions p where p.id = h.person_id limit 1) as p, h.depth
             from reporting_line_history h`,
        );
        expect(lines(ended)).toEqual(['alice>dave:1', 'alice>erin:2', 'bob>frank:1', 'boss>frank:2', 'frank>frank:0']);
        // Every line in history ended at or after it started; the live ones have no end.
        expect(await t.sql('select count(*)::int as n from reporting_line_history where sys_to < sys_from or sys_to is null')).toEqual([
          { n: 0 },
        ]);
        expect(await t.sql('select count(*)::int as n from reporting_line where sys_to is not null')).toEqual([{ n: 0 }]);
      });

      it('answers, at every instant a line or a person changed, exactly the walk down manager_id over the people as recorded then', async () => {
        await history();
        await putOk('erin.e@example.com', { managerEmail: 'gina.g@example.com' });
        await putOk('bob.b@example.com', { managerEmail: null });
        const instants = await t.sql<{ at: string }>(
          `select distinct at::text from (
             select sys_from as at from person_versions union select sys_to from person_versions
             union select sys_from from reporting_line_versions union select sys_to from reporting_line_versions) i
           where at is not null order by 1`,
        );
        expect(instants.length).toBeGreaterThan(5);
        for (const { at } of [...instants, { at: '2000-01-01' }, { at: '2095-01-01' }]) {
          for (const probe of [`'${at}'::timestamptz - interval '1 microsecond'`, `'${at}'::timestamptz`]) {
            const [diff] = await t.sql<{ n: number; total: number }>(
              `with recursive up(person_id, ancestor_id, depth) as (
                 select id, id, 0 from person_as_of(${probe})
                 union all
                 select u.person_id, p.manager_id, u.depth + 1 from up u join person_as_of(${probe}) p on p.id = u.ancestor_id
                  where p.manager_id is not null)
               select (select count(*)::int from (
                 (select ancestor_id, person_id, depth from up except all select ancestor_id, person_id, depth from reporting_line_as_of(${probe}))
                 union all
                 (select ancestor_id, person_id, depth from reporting_line_as_of(${probe}) except all select ancestor_id, person_id, depth from up)) d) as n,
                 (select count(*)::int from up) as total`,
            );
            expect({ at, probe, ...diff }).toEqual({ at, probe, n: 0, total: expect.any(Number) });
          }
        }
      });
    });

    describe('GET …/{email}/reports?asOf=', () => {
      it('answers the lines, emails and values recorded then, at depth 1, n and all (whole bodies)', async () => {
        const h = await history();
        const { boss, alice, newAlice, bob, carol, dave, erin, frank, gina } = h;

        const direct = await reports('boss.top@example.com', `asOf=${h.before}&sort=firstName`);
        expect(direct.status).toBe(200);
        expect(direct.headers['x-pagination-total-count']).toBe('2');
        expect(direct.body).toEqual({ count: 2, data: [inLine(alice, 1, boss), inLine(bob, 1, boss)] });

        const two = await reports('boss.top@example.com', `asOf=${h.before}&sort=firstName&depth=2`);
        expect(two.body).toEqual({
          count: 5,
          data: [inLine(alice, 1, boss), inLine(bob, 1, boss), inLine(carol, 2, alice), inLine(dave, 2, alice), inLine(frank, 2, bob)],
        });

        const all = await reports('boss.top@example.com', `asOf=${h.before}&sort=firstName&depth=all`);
        expect(all.body).toEqual({
          count: 6,
          data: [
            inLine(alice, 1, boss),
            inLine(bob, 1, boss),
            inLine(carol, 2, alice),
            inLine(dave, 2, alice),
            inLine(erin, 3, dave),
            inLine(frank, 2, bob),
          ],
        });

        // After the changes, as of an instant and now (the closure table): the same answer.
        const moved = [
          inLine(newAlice, 1, boss, { department: 'New' }),
          inLine(bob, 1, boss),
          inLine(carol, 2, newAlice),
          inLine(dave, 2, bob),
          inLine(erin, 3, dave),
          inLine(gina, 1, boss),
        ];
        const later = await reports('boss.top@example.com', `asOf=${h.after}&sort=firstName&depth=all`);
        expect(later.body).toEqual({ count: 6, data: moved });
        const now = await reports('boss.top@example.com', `sort=firstName&depth=all`);
        expect(now.body).toEqual({ count: 6, data: moved });

        const bobThen = await reports('bob.b@example.com', `asOf=${h.before}&depth=all`);
        expect(names(bobThen.body)).toEqual(['frank:1']);
        const bobLater = await reports('bob.b@example.com', `asOf=${h.after}&depth=all&sort=firstName`);
        expect(names(bobLater.body)).toEqual(['dave:1', 'erin:2']);
      });

      it('looks the person up by the email recorded then: 404 for one nobody had then', async () => {
        const h = await history();
        const then = await reports('ALICE.A@example.com', `asOf=${h.before}&sort=firstName`);
        expect(then.status).toBe(200);
        expect(names(then.body)).toEqual(['carol:1', 'dave:1']);
        for (const [email, at] of [
          ['alice.new@example.com', h.before],
          ['alice.a@example.com', h.after],
          ['gina.g@example.com', h.before],
          ['boss.top@example.com', '2000-01-01'],
        ]) {
          const res = await reports(email, `asOf=${at}`);
          expect(res.status).toBe(404);
          expect(res.body).toEqual(problem(404, 'not-found'));
        }
        // A person deleted since: their reports then.
        const frankThen = await reports('frank.f@example.com', `asOf=${h.before}`);
        expect(frankThen.status).toBe(200);
        expect(frankThen.body).toEqual({ count: 0, data: [] });
        expect((await reports('frank.f@example.com', '')).status).toBe(404);
      });

      it('evaluates active then: a future instant reads today’s lines with validity evaluated then', async () => {
        const { dave, erin } = await history();
        await putOk(dave.email, { validTo: '2090-01-01T00:00:00Z' });
        const future = await reports('bob.b@example.com', `asOf=2095-06-30&depth=all`);
        expect(future.status).toBe(200);
        expect(future.body).toEqual({ count: 1, data: [inLine(erin, 2, dave)] });
        const withHistory = await reports('bob.b@example.com', `asOf=2095-06-30&depth=all&history=true&sort=firstName`);
        expect(withHistory.body).toEqual({
          count: 2,
          data: [
            inLine(dave, 1, { id: expect.any(String), email: 'bob.b@example.com' }, { validTo: '2090-01-01T00:00:00.000Z', active: false }),
            inLine(erin, 2, dave),
          ],
        });
        const today = await reports('bob.b@example.com', `depth=all&sort=firstName`);
        expect(names(today.body)).toEqual(['dave:1', 'erin:2']);
      });

      it('pages like the form without asOf, the Link header keeping asOf', async () => {
        const h = await history();
        const query = `asOf=${encodeURIComponent(h.before)}&depth=all&sort=firstName&per-page=2`;
        const res = await reports('boss.top@example.com', `${query}&page=2`);
        expect(res.status).toBe(200);
        expect(res.headers['x-pagination-current-page']).toBe('2');
        expect(res.headers['x-pagination-page-count']).toBe('3');
        expect(res.headers['x-pagination-per-page']).toBe('2');
        expect(res.headers['x-pagination-total-count']).toBe('6');
        const base = `${PEOPLE}/boss.top@example.com/reports?${query}`;
        expect(res.headers['link']).toBe(
          `<${base}&page=1>; rel="first", <${base}&page=1>; rel="prev", <${base}&page=3>; rel="next", <${base}&page=3>; rel="last"`,
        );
        expect(names(res.body)).toEqual(['carol:2', 'dave:2']);
      });
    });

    describe('GET …/{email}/managers?asOf=', () => {
      it('answers the chain recorded then, under the emails and values then (whole bodies)', async () => {
        const h = await history();
        const { boss, alice, newAlice, bob, dave } = h;
        const then = await managers('ERIN.E@example.com', `asOf=${h.before}`);
        expect(then.status).toBe(200);
        expect(then.body).toEqual({ count: 3, data: [inLine(dave, 1, alice), inLine(alice, 2, boss), inLine(boss, 3, null)] });
        const later = await managers('erin.e@example.com', `asOf=${h.after}`);
        expect(later.body).toEqual({ count: 3, data: [inLine(dave, 1, bob), inLine(bob, 2, boss), inLine(boss, 3, null)] });
        const now = await managers('erin.e@example.com', '');
        expect(now.body).toEqual(later.body);
        const carolThen = await managers('carol.c@example.com', `asOf=${h.before}`);
        expect(carolThen.body).toEqual({ count: 2, data: [inLine(alice, 1, boss), inLine(boss, 2, null)] });
        const carolNow = await managers('carol.c@example.com', '');
        expect(carolNow.body).toEqual({ count: 2, data: [inLine(newAlice, 1, boss, { department: 'New' }), inLine(boss, 2, null)] });
        const frankThen = await managers('frank.f@example.com', `asOf=${h.before}`);
        expect(frankThen.body).toEqual({ count: 2, data: [inLine(bob, 1, boss), inLine(boss, 2, null)] });
      });

      it('404s a person nobody was then, and evaluates active then', async () => {
        const h = await history();
        for (const [email, at] of [
          ['alice.new@example.com', h.before],
          ['gina.g@example.com', h.before],
          ['frank.f@example.com', h.after],
        ]) {
          const res = await managers(email, `asOf=${at}`);
          expect(res.status).toBe(404);
          expect(res.body).toEqual(problem(404, 'not-found'));
        }
        await putOk(h.bob.email, { validTo: '2090-01-01T00:00:00Z' });
        const future = await managers('erin.e@example.com', 'asOf=2095-06-30 12:00:00');
        expect(future.status).toBe(200);
        expect(future.body.data.map((p: { active: boolean }) => p.active)).toEqual([true, false, true]);
        const today = await managers('erin.e@example.com', '');
        expect(today.body.data.map((p: { active: boolean }) => p.active)).toEqual([true, true, true]);
      });
    });

    it('refuses a bad asOf on both with a 400 naming asOf', async () => {
      await person('boss.top@example.com');
      for (const route of ['reports', 'managers']) {
        for (const value of ['yesterday', '2026-13-01', '2026-01-01T25:00:00Z', '']) {
          const res = await t.http().get(`${PEOPLE}/boss.top@example.com/${route}`).query({ asOf: value }).set(viewer);
          expect(res.status).toBe(400);
          expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
          expect(res.body).toEqual(problem(400, 'validation-error', { errors: expect.any(Array) }));
          expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['asOf']);
        }
      }
    });
  });
});
