import fc from 'fast-check';
import { bearer, createTestApp, type TestApp } from '../support/test-app.js';

/**
 * Fuzzing the bulk sync route (contract sections 8 and 12): random JSON bodies (shapes near the real
 * one and anything at all) and random CSV texts. Every answer is a 202 or a clean 4xx problem, never
 * a 500; every accepted job ends (succeeded, failed or aborted), never stays queued or running; a
 * refused one stores nothing. Fixed seeds make failures reproducible.
 */
const RUNS = 25;
const TIMEOUT = 400_000;
const FINAL = ['succeeded', 'failed', 'aborted'];

describe('fuzz: bulk sync', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const text = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom('', ' ', 'a@b.co', 'x@example.com', '2026-01-01', '\u0000', '\u202e', 'é'),
  );
  const scalar = fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null));
  const person = fc.dictionary(
    fc.constantFrom('email', 'firstName', 'lastName', 'team', 'validFrom', 'validTo', 'business_group', 'shoe'),
    scalar,
    { maxKeys: 6 },
  );
  const unit = fc.dictionary(fc.constantFrom('code', 'name', 'parent_code', 'description', 'valid_to', 'org_unit_id'), scalar, {
    maxKeys: 5,
  });
  const assignment = fc.dictionary(fc.constantFrom('person_email', 'org_unit_code', 'org_role_code', 'x'), scalar, { maxKeys: 4 });
  const body = fc.oneof(
    fc.record(
      {
        mode: fc.oneof(fc.constantFrom('upsert', 'snapshot'), scalar),
        dry_run: fc.oneof(fc.boolean(), scalar),
        max_changes: fc.oneof(fc.integer({ min: -5, max: 20 }), scalar),
        project_id: fc.oneof(fc.uuid(), scalar),
        people: fc.oneof(fc.array(person, { maxLength: 6 }), scalar),
        org_units: fc.array(unit, { maxLength: 4 }),
        org_roles: fc.array(unit, { maxLength: 3 }),
        org_persons: fc.array(assignment, { maxLength: 4 }),
      },
      { requiredKeys: [] },
    ),
    fc.jsonValue({ maxDepth: 3 }),
  );

  async function settle(id: string): Promise<string> {
    const end = Date.now() + 20_000;
    for (;;) {
      const res = await t.http().get(`/api/v2/sync/jobs/${id}`).set(bearer(t.tokens.admin));
      if (FINAL.includes(res.body.status as string) || Date.now() > end) return res.body.status as string;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function check(res: { status: number; body: Record<string, unknown>; headers: Record<string, string> }) {
    expect([202, 400, 413, 415]).toContain(res.status);
    if (res.status === 202) {
      expect(FINAL).toContain(await settle(res.body.id as string));
    } else {
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.status).toBe(res.status);
    }
  }

  it(
    'POST /api/v2/sync/jobs with random JSON bodies',
    () =>
      fc.assert(
        fc.asyncProperty(body, async (value) => {
          await check(
            await t
              .http()
              .post('/api/v2/sync/jobs')
              .set(bearer(t.tokens.admin))
              .set('Content-Type', 'application/json')
              .send(JSON.stringify(value)),
          );
        }),
        { seed: 1201, numRuns: RUNS },
      ),
    TIMEOUT,
  );

  it(
    'POST /api/v2/sync/jobs with random CSV texts',
    () =>
      fc.assert(
        fc.asyncProperty(
          fc.oneof(fc.constant('email,firstName,lastName\n'), fc.constant('email;firstName;lastName;team\n'), fc.string({ maxLength: 30 })),
          fc.array(fc.array(fc.oneof(text, fc.constantFrom('"', '""', '"a,b"', ';', ',')), { maxLength: 5 }), { maxLength: 5 }),
          async (header, rows) => {
            const csv = header + rows.map((r) => r.join(header.includes(';') ? ';' : ',')).join('\n');
            await check(await t.http().post('/api/v2/sync/jobs').set(bearer(t.tokens.admin)).set('Content-Type', 'text/csv').send(csv));
          },
        ),
        { seed: 1202, numRuns: RUNS },
      ),
    TIMEOUT,
  );
});
