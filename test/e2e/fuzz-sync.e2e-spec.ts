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
    fc.constantFrom('email', 'firstName', 'lastName', 'team', 'managerEmail', 'validFrom', 'validTo', 'business_group', 'shoe'),
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

  /** The manager of each email after a job's rows (undefined managerEmail: unchanged), or the error that fails the job. */
  function model(stored: Map<string, string | null>, rows: { email: string; managerEmail?: string | null }[]) {
    const next = new Map(stored);
    for (const row of rows) {
      const email = row.email.toLowerCase();
      if (row.managerEmail !== undefined) next.set(email, row.managerEmail === null ? null : row.managerEmail.toLowerCase());
      else if (!next.has(email)) next.set(email, null);
    }
    if ([...next.values()].some((manager) => manager !== null && !next.has(manager)))
      return 'no person with this email in the job or stored';
    for (const start of next.keys()) {
      const seen = new Set<string>();
      for (let at: string | null | undefined = start; at; at = next.get(at)) {
        if (seen.has(at)) return 'would create a cycle';
        seen.add(at);
      }
    }
    return next;
  }

  it(
    'managerEmail: random reporting lines over two jobs end as the model says, loops fail whole',
    async () => {
      const pool = ['a@fz.example', 'b@fz.example', 'c@fz.example', 'd@fz.example', 'e@fz.example'];
      const cased = (email: string, upper: boolean) => (upper ? email.toUpperCase() : email);
      const job = fc.uniqueArray(
        fc.record(
          {
            email: fc.constantFrom(...pool),
            upper: fc.boolean(),
            managerEmail: fc.oneof(fc.constantFrom(...pool), fc.constant(null)),
            managerUpper: fc.boolean(),
            omit: fc.boolean(),
          },
          { requiredKeys: ['email', 'upper', 'managerEmail', 'managerUpper', 'omit'] },
        ),
        { selector: (r) => r.email, minLength: 1, maxLength: 5 },
      );
      await fc.assert(
        fc.asyncProperty(fc.array(job, { minLength: 2, maxLength: 2 }), async (jobs) => {
          await t.sql('truncate org_person, org_role, org_unit, person cascade');
          let stored = new Map<string, string | null>();
          for (const spec of jobs) {
            const rows = spec.map((r) => ({
              email: cased(r.email, r.upper),
              firstName: 'F',
              lastName: 'L',
              ...(r.omit ? {} : { managerEmail: r.managerEmail === null ? null : cased(r.managerEmail, r.managerUpper) }),
            }));
            const res = await t.http().post('/api/v2/sync/jobs').set(bearer(t.tokens.admin)).send({ people: rows });
            expect(res.status).toBe(202);
            const status = await settle(res.body.id as string);
            const expected = model(stored, rows);
            expect(status).toBe(typeof expected === 'string' ? 'failed' : 'succeeded');
            if (typeof expected === 'string') {
              const job = await t.http().get(`/api/v2/sync/jobs/${res.body.id}`).set(bearer(t.tokens.admin));
              const errors = job.body.errors as { field: string; message: string }[];
              expect(errors.length).toBeGreaterThan(0);
              for (const e of errors) expect(e).toMatchObject({ field: 'managerEmail', message: expected });
            } else stored = expected;
            const actual = await t.sql<{ email: string; manager: string | null }>(
              'select lower(p.email) as email, lower(m.email) as manager from person p left join person m on m.id = p.manager_id',
            );
            expect(new Map(actual.map((r) => [r.email, r.manager]))).toEqual(stored);
            // The closure table agrees with manager_id.
            const wrong = await t.sql(`
              with recursive up(person_id, ancestor_id, depth) as (
                select id, id, 0 from person
                union all select u.person_id, p.manager_id, u.depth + 1 from up u join person p on p.id = u.ancestor_id where p.manager_id is not null)
              (select person_id, ancestor_id, depth from up except select person_id, ancestor_id, depth from reporting_line)
              union all
              (select person_id, ancestor_id, depth from reporting_line except select person_id, ancestor_id, depth from up)`);
            expect(wrong).toEqual([]);
          }
        }),
        { seed: 1203, numRuns: RUNS },
      );
    },
    TIMEOUT,
  );
});
