import { changeCases, webhookCases } from '../support/fuzz/cases.js';
import { Fuzzer, prepareCredentials, reportCases } from '../support/fuzz/harness.js';
import { reseed } from '../support/fuzz/seed.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/**
 * Property-based fuzzing of the change feed and webhook management (contract 10.1, 10.3): random
 * cursors, limits, filters and waits; webhook bodies whose targets are all refused (private,
 * loopback, other schemes, malformed), random ids. Every answer keeps the properties of the harness
 * (below 500, problem details naming fields, nothing written on a 4xx, Administrator and above only).
 */
const RUNS = 120;
const TIMEOUT = 180_000;

describe('fuzz: change feed and webhooks', () => {
  let t: TestApp;
  let fuzzer: Fuzzer;

  beforeAll(async () => {
    t = await createTestApp();
    fuzzer = new Fuzzer(t, await prepareCredentials(t));
    await reseed(t);
  });
  afterAll(async () => {
    reportCases('fuzz-changes', [fuzzer]);
    await t.close();
  });

  it(
    'GET /api/v2/changes with random cursors, limits, filters and waits',
    () => fuzzer.assert(changeCases().list, { seed: 6101, numRuns: RUNS }),
    TIMEOUT,
  );
  it(
    'POST /api/v2/webhooks with random bodies',
    async () => {
      await fuzzer.assert(webhookCases().create, { seed: 6102, numRuns: RUNS });
      expect(await t.sql('select id from webhook')).toEqual([]);
    },
    TIMEOUT,
  );
  it('GET /api/v2/webhooks', () => fuzzer.assert(webhookCases().list, { seed: 6103, numRuns: 40 }), TIMEOUT);
  it('GET /api/v2/webhooks/{id} with random ids', () => fuzzer.assert(webhookCases().get, { seed: 6104, numRuns: RUNS }), TIMEOUT);
  it('DELETE /api/v2/webhooks/{id} with random ids', () => fuzzer.assert(webhookCases().delete, { seed: 6105, numRuns: RUNS }), TIMEOUT);
  it(
    'GET /api/v2/webhooks/{id}/deliveries with random ids',
    () => fuzzer.assert(webhookCases().deliveries, { seed: 6106, numRuns: RUNS }),
    TIMEOUT,
  );
});
