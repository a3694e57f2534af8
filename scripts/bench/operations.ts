import { ASSIGNMENTS_PER_UNIT, org, ORG_ASSIGNMENTS, ORG_UNITS, rebuildDeleteBranch } from './org.dataset.js';
import { people, reporting, TOP_MANAGER_EMAIL } from './people.dataset.js';
import { scim, SCIM_CURSOR_COUNT } from './scim.dataset.js';
import type { Operation, RequestVariant, TimedOperation } from './types.js';

/** A uniformly random element (the lists are never empty: fixtures() refuses an empty table). */
function pick<T>(values: readonly T[]): T {
  return values[Math.floor(Math.random() * values.length)];
}

/**
 * Every operation the benchmark measures under load, in report order. Each one is authenticated with
 * an Opsera Administrator token; any answer other than 2xx marks its run as failed.
 */
/** Domain of the people the create operation (d) makes; the harness deletes them before and after a run. */
export const CREATED_EMAIL_DOMAIN = 'created.bench.example.com';

let created = 0;
let updated = 0;
/** Unique per process and request: autocannon's setupRequest runs once per request sent. */
const runTag = `${process.pid.toString(36)}${Date.now().toString(36)}`;

export const OPERATIONS: readonly Operation[] = [
  {
    // (a) of issue 10
    name: 'person by email',
    method: 'GET',
    path: '/api/v2/data/people/{email}',
    datasets: [people],
    reference: true,
    vary: (fixtures) => {
      const { emails } = fixtures.get(people);
      return () => ({ path: `/api/v2/data/people/${encodeURIComponent(pick(emails))}` });
    },
  },
  {
    // Issue 11, point 3: the same reads as of an instant (taken when the run starts, after the seed).
    name: 'person by email, as of',
    method: 'GET',
    path: '/api/v2/data/people/{email}?asOf={instant}',
    datasets: [people],
    asOfOf: 'person by email',
    vary: (fixtures) => {
      const { emails } = fixtures.get(people);
      const at = encodeURIComponent(new Date().toISOString());
      return () => ({ path: `/api/v2/data/people/${encodeURIComponent(pick(emails))}?asOf=${at}` });
    },
  },
  {
    // Issue 14: Okta's lookup before every create, an index lookup as fast as (a).
    name: 'SCIM user by userName filter',
    method: 'GET',
    path: '/scim/v2/Users?filter=userName eq "{email}"',
    datasets: [people],
    vary: (fixtures) => {
      const { emails } = fixtures.get(people);
      return () => ({ path: `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${pick(emails)}"`)}&startIndex=1&count=100` });
    },
  },
  {
    // Issue 14 point 3: a 100,000-user directory pages through with cursors (RFC 9865) at constant cost
    // per page: the first page and one after 90,000 rows (the report sets their figures side by side).
    name: 'SCIM users cursor, first page',
    method: 'GET',
    path: `/scim/v2/Users?cursor=&count=${SCIM_CURSOR_COUNT}`,
    datasets: [people],
  },
  {
    name: 'SCIM users cursor, after 90,000',
    method: 'GET',
    path: `/scim/v2/Users?cursor={after 90,000}&count=${SCIM_CURSOR_COUNT}`,
    datasets: [people, scim],
    vary: (fixtures) => {
      const path = `/scim/v2/Users?cursor=${fixtures.get(scim).deepCursor}&count=${SCIM_CURSOR_COUNT}`;
      return () => ({ path });
    },
  },
  {
    // (b) of issue 10
    name: 'people list, sort lastName',
    method: 'GET',
    path: '/api/v2/data/people?per-page=100&sort=lastName',
    datasets: [people],
    reference: true,
  },
  {
    name: 'people list, sort lastName, as of',
    method: 'GET',
    path: '/api/v2/data/people?per-page=100&sort=lastName&asOf={instant}',
    datasets: [people],
    asOfOf: 'people list, sort lastName',
    vary: () => {
      const path = `/api/v2/data/people?per-page=100&sort=lastName&asOf=${encodeURIComponent(new Date().toISOString())}`;
      return () => ({ path });
    },
  },
  {
    // (c) of issue 10
    name: 'org-person index by unit, per-page 20',
    method: 'POST',
    path: '/v2/org-person/index',
    datasets: [org],
    reference: true,
    vary: (fixtures) => {
      const { unitsWithAssignments } = fixtures.get(org);
      return () => ({ path: '/v2/org-person/index', body: { filter: { org_unit_id: pick(unitsWithAssignments) }, 'per-page': 20 } });
    },
  },
  {
    name: 'org-person index by unit, per-page 20, as of',
    method: 'POST',
    path: '/v2/org-person/index',
    datasets: [org],
    asOfOf: 'org-person index by unit, per-page 20',
    vary: (fixtures) => {
      const { unitsWithAssignments } = fixtures.get(org);
      const at = new Date().toISOString();
      return () => ({
        path: '/v2/org-person/index',
        body: { filter: { org_unit_id: pick(unitsWithAssignments) }, 'per-page': 20, as_of: at },
      });
    },
  },
  {
    // (e) of issue 10: offset 90,000 (needs at least 90,100 active people: the default 100,000 have 97,000).
    name: 'people list, page 901',
    method: 'GET',
    path: '/api/v2/data/people?per-page=100&page=901',
    datasets: [people],
    reference: true,
  },
  {
    name: 'people list, page 901, as of',
    method: 'GET',
    path: '/api/v2/data/people?per-page=100&page=901&asOf={instant}',
    datasets: [people],
    asOfOf: 'people list, page 901',
    vary: () => {
      const path = `/api/v2/data/people?per-page=100&page=901&asOf=${encodeURIComponent(new Date().toISOString())}`;
      return () => ({ path });
    },
  },
  {
    name: 'people list, first page',
    method: 'GET',
    path: '/api/v2/data/people?per-page=100',
    datasets: [people],
  },
  {
    name: 'people list, first page, as of',
    method: 'GET',
    path: '/api/v2/data/people?per-page=100&asOf={instant}',
    datasets: [people],
    asOfOf: 'people list, first page',
    vary: () => {
      const path = `/api/v2/data/people?per-page=100&asOf=${encodeURIComponent(new Date().toISOString())}`;
      return () => ({ path });
    },
  },
  {
    // (d) of issue 10: every request a new person (deleted again by the harness). After the lists: the
    // people still being created when a run stops would change their counts between two answers.
    name: 'person create',
    method: 'POST',
    path: '/api/v2/data/people',
    datasets: [people],
    reference: true,
    expectedStatus: 201,
    logOverhead: { tables: ['person'] },
    vary: () => () => ({
      path: '/api/v2/data/people',
      body: {
        email: `p${runTag}-${++created}@${CREATED_EMAIL_DOMAIN}`,
        firstName: 'Created',
        lastName: 'Bench',
        department: 'Engineering',
        team: 'Platform',
      },
    }),
  },
  {
    // Issue 11, point 9: every request a real change (the team of a random seeded person flips between
    // two values unlikely to be its current one), so each writes one change event and one history row.
    name: 'person update',
    method: 'PUT',
    path: '/api/v2/data/people/{email}',
    datasets: [people],
    logOverhead: { tables: ['person'] },
    vary: (fixtures): (() => RequestVariant) => {
      const { emails } = fixtures.get(people);
      return () => ({
        path: `/api/v2/data/people/${encodeURIComponent(pick(emails))}`,
        body: { team: `Bench ${runTag} ${++updated}` },
      });
    },
  },
  {
    // Issue 11, point 9: the change feed's read rate (Administrator token). From the oldest event kept:
    // the first page of the seed's one transaction of 100,000 (people) events.
    name: 'changes feed from the start, limit 100',
    method: 'GET',
    path: '/api/v2/changes?limit=100',
    datasets: [people],
  },
  {
    // After the seed: the small transactions of the write operations above (this run's and earlier runs').
    name: 'changes feed after the seed, limit 100',
    method: 'GET',
    path: '/api/v2/changes?after={seed end}&limit=100',
    datasets: [org],
    vary: (fixtures) => {
      const path = `/api/v2/changes?after=${fixtures.get(org).changesAfterSeed}&limit=100`;
      return () => ({ path });
    },
  },
  {
    name: 'changes feed after the seed, limit 1000',
    method: 'GET',
    path: '/api/v2/changes?after={seed end}&limit=1000',
    datasets: [org],
    vary: (fixtures) => {
      const path = `/api/v2/changes?after=${fixtures.get(org).changesAfterSeed}&limit=1000`;
      return () => ({ path });
    },
  },
  {
    // The security review's slow search: a 254-character q (1.3-1.8 s before the trigram indexes).
    name: 'people list, q of 254 characters',
    method: 'GET',
    path: `/api/v2/data/people?per-page=100&q=${'x'.repeat(254)}`,
    datasets: [people],
  },
  {
    name: 'people list, q=smi',
    method: 'GET',
    path: '/api/v2/data/people?per-page=100&q=smi',
    datasets: [people],
  },
  {
    name: 'org-person index by unit',
    method: 'POST',
    path: '/v2/org-person/index',
    datasets: [org],
    vary: (fixtures) => {
      const { unitsWithAssignments } = fixtures.get(org);
      return () => ({ path: '/v2/org-person/index', body: { filter: { org_unit_id: pick(unitsWithAssignments) }, 'per-page': 100 } });
    },
  },
  {
    name: 'org-unit index by parent',
    method: 'POST',
    path: '/v2/org-unit/index',
    datasets: [org],
    vary: (fixtures) => {
      const { unitsWithChildren } = fixtures.get(org);
      return () => ({ path: '/v2/org-unit/index', body: { filter: { parent_org_unit_id: pick(unitsWithChildren) }, 'per-page': 100 } });
    },
  },
  {
    name: 'org-unit index by parent, as of',
    method: 'POST',
    path: '/v2/org-unit/index',
    datasets: [org],
    asOfOf: 'org-unit index by parent',
    vary: (fixtures) => {
      const { unitsWithChildren } = fixtures.get(org);
      const at = new Date().toISOString();
      return () => ({
        path: '/v2/org-unit/index',
        body: { filter: { parent_org_unit_id: pick(unitsWithChildren) }, 'per-page': 100, as_of: at },
      });
    },
  },
  {
    // Issue 13 point 4: every level of reports of the top manager (the whole 100,000-person tree), first page.
    name: 'reports depth=all of the top manager',
    method: 'GET',
    path: `/api/v2/data/people/${TOP_MANAGER_EMAIL}/reports?depth=all&per-page=100`,
    datasets: [reporting],
  },
  {
    name: 'reports depth=1 of a division head',
    method: 'GET',
    path: '/api/v2/data/people/{email}/reports?per-page=100',
    datasets: [reporting],
    vary: (fixtures) => {
      const { divisionHeads } = fixtures.get(reporting);
      return () => ({ path: `/api/v2/data/people/${encodeURIComponent(pick(divisionHeads))}/reports?per-page=100` });
    },
  },
  {
    name: 'managers of a person',
    method: 'GET',
    path: '/api/v2/data/people/{email}/managers',
    datasets: [people, reporting],
    vary: (fixtures) => {
      const { emails } = fixtures.get(people);
      return () => ({ path: `/api/v2/data/people/${encodeURIComponent(pick(emails))}/managers` });
    },
  },
  {
    // Contract 10.2 + 11: the same reads as of an instant (taken when the run starts): a walk over person_as_of.
    name: 'reports depth=all of the top manager, as of',
    method: 'GET',
    path: `/api/v2/data/people/${TOP_MANAGER_EMAIL}/reports?depth=all&per-page=100&asOf={instant}`,
    datasets: [reporting],
    asOfOf: 'reports depth=all of the top manager',
    vary: () => {
      const path = `/api/v2/data/people/${TOP_MANAGER_EMAIL}/reports?depth=all&per-page=100&asOf=${encodeURIComponent(new Date().toISOString())}`;
      return () => ({ path });
    },
  },
  {
    name: 'reports depth=1 of a division head, as of',
    method: 'GET',
    path: '/api/v2/data/people/{email}/reports?per-page=100&asOf={instant}',
    datasets: [reporting],
    asOfOf: 'reports depth=1 of a division head',
    vary: (fixtures) => {
      const { divisionHeads } = fixtures.get(reporting);
      const at = encodeURIComponent(new Date().toISOString());
      return () => ({ path: `/api/v2/data/people/${encodeURIComponent(pick(divisionHeads))}/reports?per-page=100&asOf=${at}` });
    },
  },
  {
    name: 'managers of a person, as of',
    method: 'GET',
    path: '/api/v2/data/people/{email}/managers?asOf={instant}',
    datasets: [people, reporting],
    asOfOf: 'managers of a person',
    vary: (fixtures) => {
      const { emails } = fixtures.get(people);
      const at = encodeURIComponent(new Date().toISOString());
      return () => ({ path: `/api/v2/data/people/${encodeURIComponent(pick(emails))}/managers?asOf=${at}` });
    },
  },
  {
    // Issue 13 point 4: the subtree of a 1,000-unit project root with head counts (60,000 assignments), first page.
    name: 'org-unit descendants with counts of a project root',
    method: 'POST',
    path: '/v2/org-unit/descendants',
    datasets: [org],
    vary: (fixtures) => {
      const { projectRoots } = fixtures.get(org);
      return () => ({ path: '/v2/org-unit/descendants', body: { org_unit_id: pick(projectRoots), with_counts: true, 'per-page': 100 } });
    },
  },
  {
    name: 'org-unit descendants with counts of a project root, as of',
    method: 'POST',
    path: '/v2/org-unit/descendants',
    datasets: [org],
    asOfOf: 'org-unit descendants with counts of a project root',
    vary: (fixtures) => {
      const { projectRoots } = fixtures.get(org);
      const at = new Date().toISOString();
      return () => ({
        path: '/v2/org-unit/descendants',
        body: { org_unit_id: pick(projectRoots), with_counts: true, 'per-page': 100, as_of: at },
      });
    },
  },
];

/** Operations timed one request at a time, after the load operations, in report order. */
export const TIMED_OPERATIONS: readonly TimedOperation[] = [
  {
    name: 'org-unit force delete of a subtree',
    method: 'DELETE',
    path: '/v2/org-unit/delete/{root}?force=true',
    expectedStatus: 204,
    datasets: [org],
    vacuum: ['org_unit', 'org_person'],
    prepare: async (sql) => {
      const branch = await rebuildDeleteBranch(sql);
      return {
        path: `/v2/org-unit/delete/${branch.rootId}?force=true`,
        prepared: { units: branch.unitIds.length, assignments: branch.assignments },
        verify: async (check) => {
          const [left] = await check<{ units: number; assignments: number; all_units: number; all_assignments: number }>(
            `select (select count(*)::int from org_unit where id = any(?::uuid[])) as units,
                    (select count(*)::int from org_person where org_unit_id = any(?::uuid[])) as assignments,
                    (select count(*)::int from org_unit) as all_units,
                    (select count(*)::int from org_person) as all_assignments`,
            // As one array literal: the driver layer would expand a JS array into a list of parameters.
            [`{${branch.unitIds.join(',')}}`, `{${branch.unitIds.join(',')}}`],
          );
          if (!left) return ['the check query returned nothing'];
          const problems: string[] = [];
          if (left.units > 0) problems.push(`${left.units} of the subtree's ${branch.unitIds.length} units are still there`);
          if (left.assignments > 0) problems.push(`${left.assignments} of its ${branch.assignments} assignments are still there`);
          // Nothing else went: the rest of the dataset is intact.
          const otherUnits = ORG_UNITS - branch.unitIds.length;
          const otherAssignments = ORG_ASSIGNMENTS - branch.unitIds.length * ASSIGNMENTS_PER_UNIT;
          if (left.all_units !== otherUnits) problems.push(`${left.all_units} units left in all, expected ${otherUnits}`);
          if (left.all_assignments !== otherAssignments)
            problems.push(`${left.all_assignments} assignments left in all, expected ${otherAssignments}`);
          return problems;
        },
      };
    },
  },
];
