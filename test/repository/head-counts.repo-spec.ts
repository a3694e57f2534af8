import { MikroORM, RequestContext } from '@mikro-orm/postgresql';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { OrgHierarchyRepository } from '../../src/org-hierarchy/org-hierarchy.repository.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { instant } from '../support/as-of.js';

/**
 * Head counts (contract section 11) against an oracle: random forests of units, people, roles and
 * assignments, each active, ended or not yet started, counted by the repository's SQL and by a plain
 * walk in TypeScript. Distinct persons, active assignments of active people and roles in units whose
 * whole chain is active, a person in several units of a subtree counted once.
 */
type Validity = 'active' | 'ended' | 'future';
interface World {
  units: { parent: number | null; validity: Validity }[];
  people: Validity[];
  roles: Validity[];
  assignments: { person: number; unit: number; role: number | null; validity: Validity }[];
}

const validity = fc.constantFrom<Validity>('active', 'active', 'active', 'ended', 'future');

const world: fc.Arbitrary<World> = fc
  .record({
    units: fc.array(fc.record({ parent: fc.option(fc.nat(), { nil: null }), validity }), { minLength: 1, maxLength: 14 }),
    people: fc.array(validity, { minLength: 1, maxLength: 8 }),
    roles: fc.array(validity, { minLength: 1, maxLength: 3 }),
    assignments: fc.array(fc.record({ person: fc.nat(), unit: fc.nat(), role: fc.option(fc.nat(), { nil: null }), validity }), {
      maxLength: 40,
    }),
  })
  .map((w) => ({
    // A unit's parent is an earlier unit, so the units form a forest.
    units: w.units.map((u, i) => ({ parent: i === 0 || u.parent === null ? null : u.parent % i, validity: u.validity })),
    people: w.people,
    roles: w.roles,
    assignments: openOnce(
      w.assignments.map((a) => ({
        person: a.person % w.people.length,
        unit: a.unit % w.units.length,
        role: a.role === null ? null : a.role % w.roles.length,
        validity: a.validity,
      })),
    ),
  }));

/** At most one open (not ended) assignment per person, unit and role, as the partial unique index requires. */
function openOnce(assignments: World['assignments']): World['assignments'] {
  const open = new Set<string>();
  return assignments.filter((a) => {
    if (a.validity === 'ended') return true;
    const key = `${a.person}/${a.unit}/${a.role}`;
    if (open.has(key)) return false;
    open.add(key);
    return true;
  });
}

const DAY = 86_400_000;
function period(v: Validity, now: number): [Date | null, Date | null] {
  if (v === 'ended') return [new Date(now - 10 * DAY), new Date(now - DAY)];
  if (v === 'future') return [new Date(now + DAY), null];
  return [null, null];
}

/** The counts as the contract defines them, by walking the world in TypeScript. */
function oracle(w: World): { head: number; total: number }[] {
  const visible = (i: number): boolean => w.units[i].validity === 'active' && (w.units[i].parent === null || visible(w.units[i].parent));
  const counted = w.assignments.filter(
    (a) =>
      a.validity === 'active' && w.people[a.person] === 'active' && (a.role === null || w.roles[a.role] === 'active') && visible(a.unit),
  );
  const inSubtree = (unit: number, top: number): boolean =>
    unit === top || (w.units[unit].parent !== null && inSubtree(w.units[unit].parent, top));
  return w.units.map((_, top) => ({
    head: new Set(counted.filter((a) => a.unit === top).map((a) => a.person)).size,
    total: new Set(counted.filter((a) => inSubtree(a.unit, top)).map((a) => a.person)).size,
  }));
}

describe('head counts on PostgreSQL against an oracle', () => {
  let t: TestApp;
  let orm: MikroORM;
  let hierarchy: OrgHierarchyRepository;
  const inContext = <T>(work: () => Promise<T>) => RequestContext.create(orm.em, work);

  beforeAll(async () => {
    t = await createTestApp();
    orm = t.app.get(MikroORM);
    hierarchy = t.app.get(OrgHierarchyRepository);
  });
  afterAll(() => t.close());

  async function insert(w: World, now: number) {
    await t.sql('truncate org_person, org_unit, org_role, person cascade');
    const unitIds: string[] = w.units.map(() => randomUUID());
    const personIds = w.people.map(() => randomUUID());
    const roleIds = w.roles.map(() => randomUUID());
    for (const [i, u] of w.units.entries()) {
      const [from, to] = period(u.validity, now);
      await t.sql(
        'insert into org_unit (id, name, parent_id, valid_from, valid_to, created_at, updated_at) values (?, ?, ?, ?, ?, now(), now())',
        [unitIds[i], `Unit ${i}`, u.parent === null ? null : unitIds[u.parent], from, to],
      );
    }
    for (const [i, v] of w.people.entries()) {
      const [from, to] = period(v, now);
      await t.sql(
        "insert into person (id, email, first_name, last_name, valid_from, valid_to, created_at, updated_at) values (?, ?, 'P', 'Q', ?, ?, now(), now())",
        [personIds[i], `${personIds[i]}@example.com`, from, to],
      );
    }
    for (const [i, v] of w.roles.entries()) {
      const [from, to] = period(v, now);
      await t.sql('insert into org_role (id, name, valid_from, valid_to, created_at, updated_at) values (?, ?, ?, ?, now(), now())', [
        roleIds[i],
        `Role ${i}`,
        from,
        to,
      ]);
    }
    for (const a of w.assignments) {
      const [from, to] = period(a.validity, now);
      await t.sql(
        `insert into org_person (id, person_id, org_unit_id, org_role_id, valid_from, valid_to, created_at, updated_at)
         values (?, ?, ?, ?, ?, ?, now(), now())`,
        [randomUUID(), personIds[a.person], unitIds[a.unit], a.role === null ? null : roleIds[a.role], from, to],
      );
    }
    return unitIds;
  }

  it('counts exactly what the contract says, for every unit, through headCounts and descendants, now and as of an instant', async () => {
    await fc.assert(
      fc.asyncProperty(world, async (w) => {
        const now = Date.now();
        const ids = await insert(w, now);
        const expected = oracle(w);
        const at = new Date(now);
        const counts = await inContext(() => hierarchy.headCounts(ids, at));
        expect(ids.map((id) => counts.get(id))).toEqual(expected.map((e) => ({ head_count: e.head, total_head_count: e.total })));
        // The descendants page counts the same, for every visible unit below the first root.
        const page = await inContext(() =>
          hierarchy.descendants(ids[0], { history: true, withCounts: true, page: { page: 1, perPage: 1000 }, at }),
        );
        for (const row of page.items) {
          const i = ids.indexOf(row.org_unit_id);
          expect([row.org_unit_id, row.head_count, row.total_head_count]).toEqual([row.org_unit_id, expected[i].head, expected[i].total]);
        }
        // As recorded at an instant, after every person's validity changed (the ended start, the others
        // end): the counts of then, from the history (inactivePeopleSql as of the instant).
        const then = new Date(await instant());
        await t.sql(
          `update person set valid_from = null,
                             valid_to = case when valid_to is null then now() - interval '1 hour' end`,
        );
        const past = await inContext(() => hierarchy.headCounts(ids, then, then));
        expect(ids.map((id) => past.get(id))).toEqual(expected.map((e) => ({ head_count: e.head, total_head_count: e.total })));
      }),
      { numRuns: 40, seed: 1311 },
    );
  }, 120_000);
});
