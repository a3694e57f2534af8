import { peopleCases } from '../support/fuzz/cases.js';
import { Fuzzer, prepareCredentials, reportCases } from '../support/fuzz/harness.js';
import { reseed } from '../support/fuzz/seed.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/**
 * Property-based fuzzing of the Opsera People routes (contract sections 3, 6, 7, 8): random bodies,
 * query strings, emails and credentials through the real application. Every answer must be below 500;
 * every 4xx a clean problem-details body that wrote nothing; every 2xx the documented shape; and no
 * success without a valid token of a sufficient role. Fixed seeds make failures reproducible.
 */
const RUNS = 200;
const TIMEOUT = 120_000;

describe('fuzz: People API (Opsera dialect)', () => {
  let t: TestApp;
  let fuzzer: Fuzzer;
  let cases: ReturnType<typeof peopleCases>;

  beforeAll(async () => {
    t = await createTestApp();
    fuzzer = new Fuzzer(t, await prepareCredentials(t));
    cases = peopleCases();
    await reseed(t);
  });
  afterAll(async () => {
    reportCases('fuzz-people', [fuzzer]);
    await t.close();
  });

  it('GET /api/v2/data/people with random query strings', () => fuzzer.assert(cases.list, { seed: 3101, numRuns: RUNS }), TIMEOUT);
  it('POST /api/v2/data/people with random bodies', () => fuzzer.assert(cases.create, { seed: 3102, numRuns: RUNS }), TIMEOUT);
  it('GET /api/v2/data/people/{email} with random emails', () => fuzzer.assert(cases.get, { seed: 3103, numRuns: RUNS }), TIMEOUT);
  it(
    'PUT /api/v2/data/people/{email} with random emails and bodies',
    () => fuzzer.assert(cases.update, { seed: 3104, numRuns: RUNS }),
    TIMEOUT,
  );
  it(
    'DELETE /api/v2/data/people/{email} with random force/historicize',
    () => fuzzer.assert(cases.delete, { seed: 3105, numRuns: RUNS }),
    TIMEOUT,
  );
  it(
    'GET /api/v2/data/people/{email}/reports with random emails, depth and paging',
    () => fuzzer.assert(cases.reports, { seed: 3106, numRuns: RUNS }),
    TIMEOUT,
  );
  it(
    'GET /api/v2/data/people/{email}/managers with random emails',
    () => fuzzer.assert(cases.managers, { seed: 3107, numRuns: RUNS }),
    TIMEOUT,
  );
});
