import { hierarchyCases, orgCases } from '../support/fuzz/cases.js';
import { Fuzzer, prepareCredentials, reportCases, type OrgResource } from '../support/fuzz/harness.js';
import { reseed } from '../support/fuzz/seed.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/**
 * Property-based fuzzing of the 4HSE routes of org-unit, org-role and org-person (contract sections 4,
 * 5, 6, 7, 8): index bodies, ids in the path and in ?id=, create/update bodies, force/historicize
 * queries and historicize bodies, through the real application. Every answer must be below 500; every
 * 4xx a clean problem-details body that wrote nothing; every 2xx the documented shape; no success
 * without a valid token of a sufficient role. Fixed seeds make failures reproducible.
 */
const RUNS = 120;
const TIMEOUT = 120_000;
const RESOURCES: [OrgResource, number][] = [
  ['org-unit', 4100],
  ['org-role', 4200],
  ['org-person', 4300],
];

describe('fuzz: OrgUnit, OrgRole, OrgPerson API (4HSE dialect)', () => {
  let t: TestApp;
  let fuzzer: Fuzzer;

  beforeAll(async () => {
    t = await createTestApp();
    fuzzer = new Fuzzer(t, await prepareCredentials(t));
    await reseed(t);
  });
  afterAll(async () => {
    reportCases('fuzz-org', [fuzzer]);
    await t.close();
  });

  describe.each(RESOURCES)('%s', (resource, seed) => {
    const cases = orgCases(resource);
    it(
      `POST /v2/${resource}/index with random filters, sorts, paging and history`,
      () => fuzzer.assert(cases.index, { seed: seed + 1, numRuns: RUNS }),
      TIMEOUT,
    );
    it(
      `GET /v2/${resource}/view/{id} and view?id= with random ids`,
      () => fuzzer.assert(cases.view, { seed: seed + 2, numRuns: RUNS }),
      TIMEOUT,
    );
    it(`POST /v2/${resource}/create with random bodies`, () => fuzzer.assert(cases.create, { seed: seed + 3, numRuns: RUNS }), TIMEOUT);
    it(
      `PUT /v2/${resource}/update/{id} and update?id= with random ids and bodies`,
      () => fuzzer.assert(cases.update, { seed: seed + 4, numRuns: RUNS }),
      TIMEOUT,
    );
    it(
      `DELETE /v2/${resource}/delete/{id} and delete?id= with random force/historicize`,
      () => fuzzer.assert(cases.delete, { seed: seed + 5, numRuns: RUNS }),
      TIMEOUT,
    );
    it(
      `POST /v2/${resource}/historicize/{id} with random ids and dates`,
      () => fuzzer.assert(cases.historicize, { seed: seed + 6, numRuns: RUNS }),
      TIMEOUT,
    );
  });

  describe('hierarchy reads', () => {
    const cases = hierarchyCases();
    it(
      'GET /v2/org-unit/ancestors/{id} and ancestors?id= with random ids, history and with_counts',
      () => fuzzer.assert(cases.ancestors, { seed: 4401, numRuns: RUNS }),
      TIMEOUT,
    );
    it(
      'POST /v2/org-unit/descendants with random ids, depths, filters, paging, history and with_counts',
      () => fuzzer.assert(cases.descendants, { seed: 4402, numRuns: RUNS }),
      TIMEOUT,
    );
  });
});
