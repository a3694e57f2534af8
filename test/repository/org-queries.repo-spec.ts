import { MikroORM, RequestContext } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { OrgPersonRepository } from '../../src/org-person/org-person.repository.js';
import { OrgUnitRepository } from '../../src/org-units/org-unit.repository.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/**
 * Repository tier: the hard queries, called directly on real PostgreSQL (no HTTP), each inside a
 * request context as the app runs them.
 */
describe('org-chart repositories on PostgreSQL', () => {
  let t: TestApp;
  let orm: MikroORM;
  let units: OrgUnitRepository;
  let assignments: OrgPersonRepository;
  const inContext = <T>(work: () => Promise<T>) => RequestContext.create(orm.em, work);

  beforeAll(async () => {
    t = await createTestApp();
    orm = t.app.get(MikroORM);
    units = t.app.get(OrgUnitRepository);
    assignments = t.app.get(OrgPersonRepository);
  });
  afterAll(() => t.close());

  async function unit(name: string, parentId: string | null = null, validTo: Date | null = null): Promise<string> {
    const id = randomUUID();
    await t.sql('insert into org_unit (id, name, parent_id, valid_to, created_at, updated_at) values (?, ?, ?, ?, now(), now())', [
      id,
      name,
      parentId,
      validTo,
    ]);
    return id;
  }
  async function person(): Promise<string> {
    const id = randomUUID();
    await t.sql(
      "insert into person (id, email, first_name, last_name, created_at, updated_at) values (?, ?, 'Ada', 'Lovelace', now(), now())",
      [id, `${id}@example.com`],
    );
    return id;
  }
  async function assignment(personId: string, unitId: string, validFrom: Date | null, validTo: Date | null): Promise<string> {
    const id = randomUUID();
    await t.sql(
      'insert into org_person (id, person_id, org_unit_id, valid_from, valid_to, created_at, updated_at) values (?, ?, ?, ?, ?, now(), now())',
      [id, personId, unitId, validFrom, validTo],
    );
    return id;
  }

  describe('lockSubtree', () => {
    it('locks the unit and every descendant FOR UPDATE until the transaction ends, and no unit outside it', async () => {
      const root = await unit('Root');
      const child = await unit('Child', root);
      const grandchild = await unit('Grandchild', child);
      const outside = await unit('Outside');
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const lockTaken = new Promise<void>((resolve) => (locked = resolve));
      const transaction = inContext(() =>
        orm.em.transactional(async () => {
          expect(await units.lockSubtree(root)).toBe(true);
          locked();
          await held;
        }),
      );
      await lockTaken;
      const tryLock = (id: string) => t.sql('select id from org_unit where id = ? for update nowait', [id]);
      for (const id of [root, child, grandchild]) await expect(tryLock(id)).rejects.toMatchObject({ code: '55P03' });
      await expect(tryLock(outside)).resolves.toHaveLength(1);
      release();
      await transaction;
      await expect(tryLock(grandchild)).resolves.toHaveLength(1);
    });

    it('answers false for a unit that does not exist', async () => {
      await expect(inContext(() => orm.em.transactional(() => units.lockSubtree(randomUUID())))).resolves.toBe(false);
    });
  });

  describe('activeDuplicate', () => {
    const day = (d: string) => new Date(`${d}T00:00:00.000Z`);
    const at = day('2026-06-01');

    it('finds an active assignment of the same person, unit and role whose period overlaps', async () => {
      const [p, u] = [await person(), await unit('Team')];
      const existing = await assignment(p, u, day('2026-01-01'), null);
      const candidate = { personId: p, unitId: u, roleId: null, from: day('2026-05-01'), to: day('2026-12-01') };
      await expect(inContext(() => assignments.activeDuplicate(candidate, null, at))).resolves.toBe(existing);
      // The assignment itself (an update) is not its own duplicate.
      await expect(inContext(() => assignments.activeDuplicate(candidate, existing, at))).resolves.toBeUndefined();
    });

    it('ignores ended assignments, periods that do not overlap, and another unit', async () => {
      const [p, u, other] = [await person(), await unit('Team'), await unit('Other')];
      await assignment(p, u, day('2025-01-01'), day('2026-01-01'));
      await assignment(p, u, day('2027-01-01'), null);
      const check = (candidate: { unitId: string; from: Date | null; to: Date | null }) =>
        inContext(() => assignments.activeDuplicate({ personId: p, roleId: null, ...candidate }, null, at));
      await expect(check({ unitId: u, from: day('2026-02-01'), to: day('2026-12-31') })).resolves.toBeUndefined();
      await expect(check({ unitId: other, from: null, to: null })).resolves.toBeUndefined();
      // A candidate that has already ended never conflicts.
      await expect(check({ unitId: u, from: day('2027-02-01'), to: day('2026-03-01') })).resolves.toBeUndefined();
      await expect(check({ unitId: u, from: day('2026-12-01'), to: null })).resolves.toEqual(expect.any(String));
    });
  });

  describe('history visibility', () => {
    it('hides the descendants and assignments of an ended unit unless history is asked, with the flags that say why', async () => {
      const ended = await unit('Ended', null, new Date(Date.now() - 60_000));
      const child = await unit('Under ended', ended);
      const p = await person();
      const held = await assignment(p, child, null, null);
      const now = new Date();
      const view = await inContext(() => units.view(child, now));
      expect(view).toMatchObject({ org_unit_id: child, owned_active: true, parent_active: false });
      const page = { page: 1, perPage: 100 };
      const listed = (history: boolean) => inContext(() => units.list({ org_unit_id: child }, [], page, history, now));
      await expect(listed(false)).resolves.toEqual({ items: [], total: 0 });
      await expect(listed(true)).resolves.toMatchObject({ items: [{ org_unit_id: child }], total: 1 });
      const assignmentsOf = (history: boolean) => inContext(() => assignments.list({ org_person_id: held }, [], page, history, now));
      await expect(assignmentsOf(false)).resolves.toEqual({ items: [], total: 0 });
      await expect(assignmentsOf(true)).resolves.toMatchObject({
        items: [{ org_person_id: held, owned_active: true, parent_active: false }],
        total: 1,
      });
    });
  });
});
