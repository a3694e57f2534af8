import { conditionalHeaderCases } from '../support/fuzz/cases.js';
import { Fuzzer, prepareCredentials, reportCases } from '../support/fuzz/harness.js';
import { reseed } from '../support/fuzz/seed.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/**
 * Property-based fuzzing of contract section 10.4's request headers on every single-entity route of
 * both dialects: If-Match and If-None-Match (`*`, stale, weak, lists, more than 100 tags, malformed,
 * random bytes) and Idempotency-Key (reused, fresh, too long, empty, non-ASCII, random bytes). Besides
 * the properties of every answer (no 5xx, problem details that wrote nothing, documented shapes), every
 * single-entity 2xx carries a strong ETag, a 304 only answers a read that sent If-None-Match (no body,
 * with its ETag), and Idempotent-Replayed only appears on creates.
 */
const TIMEOUT = 120_000;

describe('fuzz: If-Match, If-None-Match and Idempotency-Key on the single-entity routes', () => {
  let t: TestApp;
  let fuzzer: Fuzzer;

  beforeAll(async () => {
    t = await createTestApp();
    fuzzer = new Fuzzer(t, await prepareCredentials(t));
    await reseed(t);
  });
  afterAll(async () => {
    reportCases('fuzz-conditional', [fuzzer]);
    await t.close();
  });

  it(
    'random conditional and idempotency headers on get, view, create, update, delete and historicize',
    () => fuzzer.assert(conditionalHeaderCases(), { seed: 10401, numRuns: 400 }),
    TIMEOUT,
  );
});
