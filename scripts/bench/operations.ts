import { ASSIGNMENTS_PER_UNIT, org, ORG_ASSIGNMENTS, ORG_UNITS, rebuildDeleteBranch } from './org.dataset.js';
import { people } from './people.dataset.js';
import type { Operation, TimedOperation } from './types.js';

/** A uniformly random element (the lists are never empty: fixtures() refuses an empty table). */
function pick<T>(values: readonly T[]): T {
  return values[Math.floor(Math.random() * values.length)];
}

/**
 * Every operation the benchmark measures under load, in report order. Each one is authenticated with
 * an Opsera Administrator token; any answer other than 2xx marks its run as failed.
 */
export const OPERATIONS: readonly Operation[] = [
  {
    name: 'person by email',
    method: 'GET',
    path: '/api/v2/data/people/{email}',
    datasets: [people],
    vary: (fixtures) => {
      const { emails } = fixtures.get(people);
      return () => ({ path: `/api/v2/data/people/${encodeURIComponent(pick(emails))}` });
    },
  },
  {
    name: 'people list, first page',
    method: 'GET',
    path: '/api/v2/data/people?per-page=100',
    datasets: [people],
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
