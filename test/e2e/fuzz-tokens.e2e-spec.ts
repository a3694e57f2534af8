import { tokenCases } from '../support/fuzz/cases.js';
import { Fuzzer, prepareCredentials, reportCases } from '../support/fuzz/harness.js';
import { reseed } from '../support/fuzz/seed.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/**
 * Property-based fuzzing of token management (/api/v2/tokens, contract section 7): random creation
 * bodies (names, roles, scopes, expiresAt, expiresIn), paging queries and ids, under administrators
 * mostly and lesser roles sometimes. Besides the properties of every answer (below 500, problem
 * details, nothing written on a 4xx, documented shape), no answer may carry a secret other than the
 * new token's own. Fixed seeds make failures reproducible.
 */
const RUNS = 150;
const TIMEOUT = 120_000;

describe('fuzz: token management API', () => {
  let t: TestApp;
  let fuzzer: Fuzzer;
  let cases: ReturnType<typeof tokenCases>;

  beforeAll(async () => {
    t = await createTestApp();
    const creds = await prepareCredentials(t);
    fuzzer = new Fuzzer(t, creds);
    cases = tokenCases(creds.victims.map((v) => v.id));
    await reseed(t);
  });
  afterAll(async () => {
    reportCases('fuzz-tokens', [fuzzer]);
    await t.close();
  });

  it('POST /api/v2/tokens with random bodies', () => fuzzer.assert(cases.create, { seed: 5101, numRuns: RUNS }), TIMEOUT);
  it('GET /api/v2/tokens with random paging', () => fuzzer.assert(cases.list, { seed: 5102, numRuns: RUNS }), TIMEOUT);
  it('GET /api/v2/tokens/{id} with random ids', () => fuzzer.assert(cases.get, { seed: 5103, numRuns: RUNS }), TIMEOUT);
  it('DELETE /api/v2/tokens/{id} with random ids', () => fuzzer.assert(cases.revoke, { seed: 5104, numRuns: RUNS }), TIMEOUT);
});
