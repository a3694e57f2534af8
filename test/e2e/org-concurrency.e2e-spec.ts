import { randomUUID } from 'node:crypto';
import { bearer, createTestApp, problem, type TestApp } from '../support/test-app.js';

/**
 * Races and atomicity of contract sections 4 and 5: every race ends in the statuses the contract
 * promises (never a 5xx), and the database never holds a cycle, an orphan or a half-done cascade.
 */
describe('Org chart under concurrency', () => {
  let t: TestApp;
  let writer: Record<string, string>;
  let admin: Record<string, string>;

  beforeAll(async () => {
    t = await createTestApp();
    writer = bearer(t.tokens.powerUser);
    admin = bearer(t.tokens.admin);
  });
  afterAll(() => t.close());
  beforeEach(() => t.sql('truncate org_person, org_unit, org_role, person cascade'));

  async function unit(name: string, parent: string | null = null): Promise<string> {
    const res = await t.http().post('/v2/org-unit/create').set(writer).send({ name, parent_org_unit_id: parent });
    expect(res.status).toBe(201);
    return res.body.org_unit_id as string;
  }

  async function person(n: number): Promise<string> {
    const res = await t
      .http()
      .post('/api/v2/data/people')
      .set(writer)
      .send({ email: `p${n}@race.example.com`, firstName: `P${n}`, lastName: 'Race' });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  const assign = (personId: string, unitId: string, roleId: string | null = null) =>
    t.http().post('/v2/org-person/create').set(writer).send({ person_id: personId, org_unit_id: unitId, org_role_id: roleId });

  const orphans = () =>
    t.sql<{ n: number }>(
      `select ((select count(*) from org_person a where not exists (select 1 from org_unit u where u.id = a.org_unit_id))
            + (select count(*) from org_unit c where c.parent_id is not null and not exists (select 1 from org_unit p where p.id = c.parent_id)))::int as n`,
    );

  it('gives exactly one 201 and nineteen 409 for 20 parallel creates of the same assignment', async () => {
    const [p, u] = await Promise.all([person(1), unit('Unit')]);
    const role = await t.http().post('/v2/org-role/create').set(writer).send({ name: 'Lead' });
    const results = await Promise.all(Array.from({ length: 20 }, () => assign(p, u, role.body.org_role_id as string)));
    expect(results.map((r) => r.status).sort()).toEqual([201, ...Array<number>(19).fill(409)]);
    for (const r of results.filter((x) => x.status === 409)) expect(r.body).toEqual(problem(409, 'conflict'));
    expect(await t.sql('select count(*)::int as n from org_person')).toEqual([{ n: 1 }]);
  });

  it('lets exactly one of two opposite re-parents win, never leaving a cycle', async () => {
    for (let round = 0; round < 8; round++) {
      await t.sql('truncate org_person, org_unit cascade');
      const root = await unit('Root');
      const [a, b] = await Promise.all([unit('A', root), unit('B', root)]);
      const [moveA, moveB] = await Promise.all([
        t.http().put(`/v2/org-unit/update/${a}`).set(writer).send({ parent_org_unit_id: b }),
        t.http().put(`/v2/org-unit/update/${b}`).set(writer).send({ parent_org_unit_id: a }),
      ]);
      expect([moveA.status, moveB.status].sort()).toEqual([200, 400]);
      const loser = moveA.status === 400 ? moveA : moveB;
      expect(loser.body.errors).toEqual([{ field: 'parent_org_unit_id', message: 'would create a cycle' }]);
      // Walking up from every unit must reach a root within the tree's size.
      const cyclic = await t.sql<{ n: number }>(
        `with recursive up(start, id, steps) as (
           select id, parent_id, 1 from org_unit where parent_id is not null
           union all select up.start, u.parent_id, up.steps + 1 from up join org_unit u on u.id = up.id
            where u.parent_id is not null and up.steps < 10)
         select count(*)::int as n from up where steps >= 10 or id = start`,
      );
      expect(cyclic).toEqual([{ n: 0 }]);
    }
  });

  it('force-deletes a subtree while assignments are created into it: no 5xx, no orphan, nothing left', async () => {
    const root = await unit('Root');
    const level1 = await Promise.all(Array.from({ length: 5 }, (_, i) => unit(`L1-${i}`, root)));
    const level2 = (await Promise.all(level1.flatMap((p, i) => [unit(`L2-${i}a`, p), unit(`L2-${i}b`, p)]))).concat(level1, [root]);
    const people = await Promise.all(Array.from({ length: 30 }, (_, i) => person(i)));
    for (let i = 0; i < 10; i++) expect((await assign(people[i], level2[i % level2.length])).status).toBe(201);

    const creates = people.slice(10).map((p, i) => assign(p, level2[(i * 7) % level2.length]));
    const deletion = t.http().delete(`/v2/org-unit/delete/${root}?force=true`).set(admin);
    const [deleted, ...created] = await Promise.all([deletion, ...creates]);

    expect(deleted.status).toBe(204);
    for (const res of created) {
      expect([201, 400]).toContain(res.status);
      if (res.status === 400)
        expect(res.body.errors).toEqual([{ field: 'org_unit_id', message: expect.stringMatching(/^does not exist/) }]);
    }
    expect(await t.sql('select count(*)::int as n from org_unit')).toEqual([{ n: 0 }]);
    expect(await t.sql('select count(*)::int as n from org_person')).toEqual([{ n: 0 }]);
    expect(await orphans()).toEqual([{ n: 0 }]);
  });

  it('settles a plain delete racing an assignment create in the same unit with exactly one winner', async () => {
    const people = await Promise.all(Array.from({ length: 10 }, (_, i) => person(100 + i)));
    for (const p of people) {
      const target = await unit(`Target for ${p}`);
      const [deleted, created] = await Promise.all([t.http().delete(`/v2/org-unit/delete/${target}`).set(admin), assign(p, target)]);
      const outcome = `${deleted.status}/${created.status}`;
      expect(['204/400', '400/201']).toContain(outcome);
      if (outcome === '400/201') {
        expect(deleted.body.related.counts).toEqual({ 'org-person': 1 });
        expect(await t.sql('select count(*)::int as n from org_unit where id = ?', [target])).toEqual([{ n: 1 }]);
      } else {
        expect(await t.sql('select count(*)::int as n from org_person where org_unit_id = ?', [target])).toEqual([{ n: 0 }]);
      }
    }
    expect(await orphans()).toEqual([{ n: 0 }]);
  });

  it('rolls a forced delete back whole when it fails midway', async () => {
    const root = await unit('Root');
    const child = await unit('Child', root);
    await unit('boom', child);
    const people = await Promise.all([person(200), person(201)]);
    expect((await assign(people[0], root)).status).toBe(201);
    expect((await assign(people[1], child)).status).toBe(201);
    const before = await snapshot();
    // The assignments are deleted first, then the units: failing on the unit named "boom" aborts the
    // transaction after part of the work was already done.
    await t.sql(`create or replace function organigram_test_boom() returns trigger language plpgsql as $$
      begin if old.name = 'boom' then raise exception 'injected failure deleting %', old.id; end if; return old; end $$`);
    await t.sql('create trigger organigram_test_boom before delete on org_unit for each row execute function organigram_test_boom()');
    try {
      const res = await t.http().delete(`/v2/org-unit/delete/${root}?force=true`).set(admin);
      expect(res.status).toBe(500);
      expect(res.body).toEqual(problem(500, 'internal-error'));
      expect(JSON.stringify(res.body)).not.toMatch(/injected|delete from|org_unit/i);
      expect(await snapshot()).toEqual(before);
    } finally {
      await t.sql('drop trigger organigram_test_boom on org_unit');
      await t.sql('drop function organigram_test_boom()');
    }
    // And once the fault is gone, the same delete succeeds.
    expect((await t.http().delete(`/v2/org-unit/delete/${root}?force=true`).set(admin)).status).toBe(204);
    expect(await t.sql('select count(*)::int as n from org_unit')).toEqual([{ n: 0 }]);
  });

  it('keeps a person delete and an assignment create consistent when they race', async () => {
    const u = await unit('Unit');
    for (let i = 0; i < 8; i++) {
      const p = await person(300 + i);
      const [deleted, created] = await Promise.all([
        t
          .http()
          .delete(`/api/v2/data/people/p${300 + i}@race.example.com?force=true`)
          .set(admin),
        assign(p, u),
      ]);
      expect(deleted.status).toBe(204);
      expect([201, 400]).toContain(created.status);
      expect(await t.sql('select count(*)::int as n from org_person where person_id = ?', [p])).toEqual([{ n: 0 }]);
    }
  });

  async function snapshot() {
    return {
      units: await t.sql('select id, name, parent_id from org_unit order by id'),
      assignments: await t.sql('select id, person_id, org_unit_id from org_person order by id'),
    };
  }

  it('answers a create with a random client id that races a create with the same id: one 201, one 409', async () => {
    const id = randomUUID();
    const [a, b] = await Promise.all([
      t.http().post('/v2/org-role/create').set(writer).send({ org_role_id: id, name: 'One' }),
      t
        .http()
        .post('/v2/org-role/create')
        .set(writer)
        .send({ org_role_id: id.replace(/-/g, ''), name: 'Two' }),
    ]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
  });
});
