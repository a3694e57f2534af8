import { people } from './people.dataset.js';
import type { Operation } from './types.js';

/** A uniformly random element (the lists are never empty: fixtures() refuses an empty table). */
function pick<T>(values: readonly T[]): T {
  return values[Math.floor(Math.random() * values.length)];
}

/**
 * Every operation the benchmark measures, in report order. Each one is authenticated with an Opsera
 * Administrator token; any answer other than 2xx marks its run as failed.
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
];
