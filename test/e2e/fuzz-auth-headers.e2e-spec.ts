import { headerCases, oversizedCases, smuggledCredentialCases } from '../support/fuzz/cases.js';
import { Fuzzer, prepareCredentials, reportCases } from '../support/fuzz/harness.js';
import { reseed } from '../support/fuzz/seed.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/**
 * Property-based fuzzing of the request envelope on every route of both dialects (contract sections
 * 6, 7, 8): Authorization (valid tokens in every legal spelling, mangled, revoked, expired, unknown,
 * scope-less, other schemes, empty, very long, non-ASCII), X-Request-Id, Content-Type and Accept
 * variants; real tokens smuggled into `access_token` / `access-token` query parameters and bodies;
 * request lines and headers past the server's limits. Besides the properties of every answer, a
 * request without a valid token of a sufficient role never succeeds, a valid token is never 401, a
 * 401 always carries the Bearer challenge, and a well-formed X-Request-Id comes back unchanged.
 */
const TIMEOUT = 120_000;

describe('fuzz: authentication and request headers on every route', () => {
  let t: TestApp;
  let fuzzer: Fuzzer;
  let victims: string[];

  beforeAll(async () => {
    t = await createTestApp();
    const creds = await prepareCredentials(t);
    victims = creds.victims.map((v) => v.id);
    fuzzer = new Fuzzer(t, creds);
    await reseed(t);
  });
  afterAll(async () => {
    reportCases('fuzz-auth-headers', [fuzzer]);
    await t.close();
  });

  it(
    'any route under random Authorization, X-Request-Id, Content-Type and Accept headers',
    () => fuzzer.assert(headerCases(victims), { seed: 6101, numRuns: 500 }),
    TIMEOUT,
  );
  it(
    'tokens smuggled into access_token / access-token query parameters and bodies never authenticate',
    () => fuzzer.assert(smuggledCredentialCases(), { seed: 6102, numRuns: 60 }),
    TIMEOUT,
  );
  it(
    'request lines, headers and path parameters past the server limits',
    () => fuzzer.assert(oversizedCases(), { seed: 6103, numRuns: 20 }),
    TIMEOUT,
  );
});
