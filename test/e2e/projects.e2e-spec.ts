import type { Response } from 'supertest';
import { orgFactories, tableCounts, truncateOrgTables, type OrgFactories } from '../support/org-factories.js';
import { bearer, createTestApp, problem, type TestApp } from '../support/test-app.js';

const A = '7d3c8a9e-1b2f-4c5d-8e6f-0a1b2c3d4e5f';
const B = 'c1d2e3f4-a5b6-4c7d-8e9f-a0b1c2d3e4f5';

/** A 400 validation problem naming exactly `field`, with a message matching `message`. */
function expectRefused(res: Response, field: string, message: RegExp): void {
  expect(res.status).toBe(400);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toEqual(problem(400, 'validation-error', { errors: [{ field, message: expect.stringMatching(message) }] }));
}

/** Rows that mix projects: a unit under a parent of another project, a role held in a unit of another. */
async function mixes(t: TestApp): Promise<number> {
  const [row] = await t.sql<{ n: number }>(
    `select (select count(*)::int from org_unit c join org_unit p on p.id = c.parent_id where c.project_id is distinct from p.project_id)
          + (select count(*)::int from org_person a join org_role r on r.id = a.org_role_id join org_unit u on u.id = a.org_unit_id
              where r.project_id is not null and r.project_id is distinct from u.project_id) as n`,
  );
  return row.n;
}

/** Contract section 9: projects never mix. */
describe('Projects never mix', () => {
  let t: TestApp;
  let f: OrgFactories;
  let write: Record<string, string>;

  beforeAll(async () => {
    t = await createTestApp();
    f = orgFactories(t);
    write = bearer(t.tokens.powerUser);
  });
  afterAll(() => t.close());
  beforeEach(() => truncateOrgTables(t));
  afterEach(async () => expect(await mixes(t)).toBe(0));

  const createUnit = (body: object) => t.http().post('/v2/org-unit/create').set(write).send(body);
  const updateUnit = (id: string, body: object) => t.http().put(`/v2/org-unit/update/${id}`).set(write).send(body);

  describe('a unit and its parent', () => {
    it('refuses a unit under a parent of another project, or of none, naming parent_org_unit_id; writes nothing', async () => {
      const parentA = await f.unit({ name: 'A root', project_id: A });
      const plain = await f.unit({ name: 'No project' });
      const before = await tableCounts(t);
      expectRefused(
        await createUnit({ name: 'Mixed', parent_org_unit_id: parentA, project_id: B }),
        'parent_org_unit_id',
        new RegExp(`^the parent unit ${parentA} is in project ${A}, this unit in ${B}: a unit and its parent have the same project_id$`),
      );
      expectRefused(await createUnit({ name: 'Mixed', parent_org_unit_id: parentA }), 'parent_org_unit_id', /this unit in none \(null\)/);
      expectRefused(
        await createUnit({ name: 'Mixed', parent_org_unit_id: plain, project_id: A }),
        'parent_org_unit_id',
        /is in project none \(null\), this unit in /,
      );
      expect(await tableCounts(t)).toEqual(before);
      expect((await createUnit({ name: 'Same', parent_org_unit_id: parentA, project_id: A })).status).toBe(201);
      expect((await createUnit({ name: 'Both none', parent_org_unit_id: plain })).status).toBe(201);
    });

    it('refuses a re-parent under another project, and a project change that would part a unit from its parent', async () => {
      const rootA = await f.unit({ name: 'A root', project_id: A });
      const rootB = await f.unit({ name: 'B root', project_id: B });
      const child = await f.unit({ name: 'Child', parent_org_unit_id: rootA, project_id: A });
      expectRefused(await updateUnit(child, { parent_org_unit_id: rootB }), 'parent_org_unit_id', /is in project c1d2e3f4/);
      expectRefused(await updateUnit(child, { project_id: B }), 'project_id', /a unit and its parent have the same project_id/);
      expectRefused(await updateUnit(child, { project_id: null }), 'project_id', /this unit in none \(null\)/);
      const [row] = await t.sql('select parent_id, project_id from org_unit where id = ?', [child]);
      expect(row).toEqual({ parent_id: rootA, project_id: A });
      // Moving and changing the project together is consistent, hence allowed.
      const moved = await updateUnit(child, { parent_org_unit_id: rootB, project_id: B });
      expect(moved.status).toBe(200);
      expect(moved.body).toMatchObject({ parent_org_unit_id: rootB, project_id: B });
    });

    it('refuses to change the project of a unit with children, naming project_id (decision: children keep theirs)', async () => {
      const root = await f.unit({ name: 'Root', project_id: A });
      await f.unit({ name: 'Child', parent_org_unit_id: root, project_id: A });
      expectRefused(
        await updateUnit(root, { project_id: B }),
        'project_id',
        /^cannot change to c1d2e3f4-a5b6-4c7d-8e9f-a0b1c2d3e4f5: the unit has 1 child unit\(s\) of another project; change or move them first$/,
      );
      const [row] = await t.sql('select project_id from org_unit where id = ?', [root]);
      expect(row).toEqual({ project_id: A });
    });
  });

  describe("an assignment's role and its unit", () => {
    it('refuses a role of another project, on create and on update, naming the field; a role without project fits anywhere', async () => {
      const person = await f.person();
      const unitA = await f.unit({ name: 'Unit A', project_id: A });
      const unitB = await f.unit({ name: 'Unit B', project_id: B });
      const roleA = await f.role({ name: 'Role A', project_id: A });
      const roleB = await f.role({ name: 'Role B', project_id: B });
      const shared = await f.role({ name: 'Shared role' });
      const before = await tableCounts(t);
      expectRefused(
        await t.http().post('/v2/org-person/create').set(write).send({ person_id: person, org_unit_id: unitA, org_role_id: roleB }),
        'org_role_id',
        new RegExp(
          `^the role ${roleB} is in project ${B}, the unit ${unitA} in ${A}: a role with a project_id is held only in units of that project$`,
        ),
      );
      expect(await tableCounts(t)).toEqual(before);

      const assignment = await f.assignment({ person_id: person, org_unit_id: unitA, org_role_id: roleA });
      await f.assignment({ person_id: person, org_unit_id: unitB, org_role_id: shared });
      const update = (body: object) => t.http().put(`/v2/org-person/update/${assignment}`).set(write).send(body);
      expectRefused(await update({ org_role_id: roleB }), 'org_role_id', /is in project c1d2e3f4/);
      expectRefused(await update({ org_unit_id: unitB }), 'org_unit_id', /the unit [0-9a-f-]{36} in c1d2e3f4/);
      const [row] = await t.sql('select org_unit_id, org_role_id from org_person where id = ?', [assignment]);
      expect(row).toEqual({ org_unit_id: unitA, org_role_id: roleA });
      expect((await update({ org_unit_id: unitB, org_role_id: roleB })).status).toBe(200);
    });

    it("refuses to change a unit's or a role's project while an assignment would mix, naming project_id", async () => {
      const person = await f.person();
      const unit = await f.unit({ name: 'Unit', project_id: A });
      const role = await f.role({ name: 'Role', project_id: A });
      await f.assignment({ person_id: person, org_unit_id: unit, org_role_id: role });
      expectRefused(
        await updateUnit(unit, { project_id: B }),
        'project_id',
        /1 assignment\(s\) in the unit hold a role of another project/,
      );
      expectRefused(
        await t.http().put(`/v2/org-role/update/${role}`).set(write).send({ project_id: B }),
        'project_id',
        /1 assignment\(s\) hold this role in units of another project/,
      );
      const [row] = await t.sql(
        'select (select project_id from org_unit where id = ?) as unit, (select project_id from org_role where id = ?) as role',
        [unit, role],
      );
      expect(row).toEqual({ unit: A, role: A });
      // A role may lose its project: it then fits every unit.
      expect((await t.http().put(`/v2/org-role/update/${role}`).set(write).send({ project_id: null })).status).toBe(200);
    });
  });

  describe('the database enforces it too', () => {
    it('refuses mixing rows written behind the service', async () => {
      const parent = await f.unit({ name: 'Parent', project_id: A });
      await expect(
        t.sql('insert into org_unit (id, name, parent_id, project_id) values (gen_random_uuid(), ?, ?, ?)', ['x', parent, B]),
      ).rejects.toThrow(/org_unit_parent_project_fkey/);
      const person = await f.person();
      const roleB = await f.role({ name: 'Role B', project_id: B });
      await expect(
        t.sql('insert into org_person (id, person_id, org_unit_id, org_role_id) values (gen_random_uuid(), ?, ?, ?)', [
          person,
          parent,
          roleB,
        ]),
      ).rejects.toThrow(/role .* of project .* cannot be held in unit/);
    });

    it('ends races between a project change and new children or assignments in 200/201 or 400, never a mix or a 5xx', async () => {
      for (let round = 0; round < 5; round++) {
        await truncateOrgTables(t);
        const parent = await f.unit({ name: 'Parent', project_id: A });
        const role = await f.role({ name: 'Role', project_id: A });
        const people = await Promise.all(Array.from({ length: 4 }, (_, i) => f.person({ email: `race${round}-${i}@example.com` })));
        const results = await Promise.all([
          ...Array.from({ length: 4 }, (_, i) => createUnit({ name: `Child ${i}`, parent_org_unit_id: parent, project_id: A })),
          updateUnit(parent, { project_id: B }),
          ...people.map((person) =>
            t.http().post('/v2/org-person/create').set(write).send({ person_id: person, org_unit_id: parent, org_role_id: role }),
          ),
        ]);
        for (const res of results) {
          expect([200, 201, 400]).toContain(res.status);
          if (res.status === 400) expect(res.body.errors).toHaveLength(1);
        }
        expect(await mixes(t)).toBe(0);
      }
    });
  });
});
