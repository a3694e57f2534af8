import { createTestApp, bearer, ISO, UUID, problem, type TestApp } from '../support/test-app.js';
import { syncJobSettled } from '../support/sync-jobs.js';

/** Contract section 12: bulk sync jobs. */
describe('Bulk sync (POST /api/v2/sync/jobs)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.sql('truncate org_person, org_role, org_unit, person cascade');
  });

  const admin = () => bearer(t.tokens.admin);

  async function submit(body: object) {
    const res = await t.http().post('/api/v2/sync/jobs').set(admin()).send(body);
    expect(res.status).toBe(202);
    return res.body as { id: string };
  }

  async function submitCsv(csv: string, query = '') {
    const res = await t.http().post(`/api/v2/sync/jobs${query}`).set(admin()).set('Content-Type', 'text/csv').send(csv);
    expect(res.status).toBe(202);
    return res.body as { id: string };
  }

  const finished = (id: string, ms?: number) => syncJobSettled(t, id, ms);

  async function changes(id: string, query = '') {
    const res = await t.http().get(`/api/v2/sync/jobs/${id}/changes${query}`).set(admin());
    expect(res.status).toBe(200);
    return res.body as { count: number; data: Record<string, unknown>[] };
  }

  const people = () =>
    t.sql<{ email: string; first_name: string; department: string | null; valid_to: Date | null }>(
      'select email, first_name, department, valid_to from person order by lower(email)',
    );

  it('accepts a JSON job with 202 and Location, creates the people and reports the summary and the changes', async () => {
    const res = await t
      .http()
      .post('/api/v2/sync/jobs')
      .set(admin())
      .send({
        people: [
          { email: 'Ada@example.com', firstName: 'Ada', lastName: 'Lovelace', department: 'Platform' },
          { email: 'alan@example.com', firstName: 'Alan', lastName: 'Turing' },
        ],
      });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ id: UUID, status: 'queued' });
    expect(res.headers.location).toBe(`/api/v2/sync/jobs/${res.body.id}`);
    const job = await finished(res.body.id as string);
    expect(job).toEqual({
      id: res.body.id,
      status: 'succeeded',
      mode: 'upsert',
      dry_run: false,
      max_changes: 1000,
      project_id: null,
      created_at: ISO,
      started_at: ISO,
      finished_at: ISO,
      progress: { total: 2, done: 2 },
      summary: { create: 2, update: 0, historicize: 0, unchanged: 0, invalid: 0 },
      errors: [],
    });
    expect(await people()).toEqual([
      { email: 'Ada@example.com', first_name: 'Ada', department: 'Platform', valid_to: null },
      { email: 'alan@example.com', first_name: 'Alan', department: null, valid_to: null },
    ]);
    const listed = await changes(res.body.id as string);
    expect(listed.count).toBe(2);
    expect(listed.data[0]).toEqual({
      entity: 'person',
      key: 'Ada@example.com',
      op: 'create',
      changed: ['email', 'firstName', 'lastName', 'department'],
      before: null,
      after: {
        id: UUID,
        email: 'Ada@example.com',
        firstName: 'Ada',
        lastName: 'Lovelace',
        displayName: null,
        externalId: null,
        organization: null,
        business: null,
        department: 'Platform',
        group: null,
        team: null,
        managerId: null,
        managerEmail: null,
        validFrom: null,
        validTo: null,
      },
    });
  });

  it('upsert: updates what differs, leaves absent fields unchanged, null clears, and counts the unchanged', async () => {
    await finished(
      (
        await submit({
          people: [
            { email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace', department: 'Platform', team: 'Compilers' },
            { email: 'alan@example.com', firstName: 'Alan', lastName: 'Turing', department: 'Research' },
          ],
        })
      ).id,
    );
    const { id } = await submit({
      people: [
        { email: 'ADA@example.com', firstName: 'Augusta', lastName: 'Lovelace', team: null },
        { email: 'alan@example.com', firstName: 'Alan', lastName: 'Turing', department: 'Research' },
      ],
    });
    const job = await finished(id);
    expect(job.summary).toEqual({ create: 0, update: 1, historicize: 0, unchanged: 1, invalid: 0 });
    expect(await t.sql('select email, first_name, department, team from person order by lower(email)')).toEqual([
      { email: 'ADA@example.com', first_name: 'Augusta', department: 'Platform', team: null },
      { email: 'alan@example.com', first_name: 'Alan', department: 'Research', team: null },
    ]);
    const listed = await changes(id);
    expect(listed.count).toBe(1);
    expect(listed.data[0]).toMatchObject({
      entity: 'person',
      key: 'ADA@example.com',
      op: 'update',
      changed: ['email', 'firstName', 'team'],
      before: { email: 'ada@example.com', firstName: 'Ada', department: 'Platform', team: 'Compilers' },
      after: { email: 'ADA@example.com', firstName: 'Augusta', department: 'Platform', team: null },
    });
  });

  it('snapshot: historicizes the active people the file does not contain, never deletes, leaves inactive ones alone', async () => {
    await t.sql(`insert into person (id, email, first_name, last_name, valid_to) values
      (gen_random_uuid(), 'stays@example.com', 'S', 'S', null),
      (gen_random_uuid(), 'leaves@example.com', 'L', 'L', null),
      (gen_random_uuid(), 'gone@example.com', 'G', 'G', '2020-01-01T00:00:00Z')`);
    const { id } = await submit({
      mode: 'snapshot',
      people: [
        { email: 'stays@example.com', firstName: 'S', lastName: 'S' },
        { email: 'new@example.com', firstName: 'N', lastName: 'N' },
      ],
    });
    const job = await finished(id);
    expect(job).toMatchObject({
      status: 'succeeded',
      mode: 'snapshot',
      summary: { create: 1, update: 0, historicize: 1, unchanged: 1, invalid: 0 },
    });
    expect(await t.sql(`select email, valid_to is null as open, valid_to < '2021-01-01' as old from person order by email`)).toEqual([
      { email: 'gone@example.com', open: false, old: true },
      { email: 'leaves@example.com', open: false, old: false },
      { email: 'new@example.com', open: true, old: null },
      { email: 'stays@example.com', open: true, old: null },
    ]);
    const listed = await changes(id);
    expect(listed.data.find((c) => c.op === 'historicize')).toEqual({
      entity: 'person',
      key: 'leaves@example.com',
      op: 'historicize',
      changed: ['validTo'],
      before: expect.objectContaining({ email: 'leaves@example.com', validTo: null }),
      after: expect.objectContaining({ email: 'leaves@example.com', validTo: ISO }),
    });
  });

  it("records exactly one change-log event per changed entity, with the job's token as actor and the job id as request_id", async () => {
    await t.sql(`insert into person (id, email, first_name, last_name, department) values
      (gen_random_uuid(), 'same@example.com', 'S', 'S', 'D'),
      (gen_random_uuid(), 'moves@example.com', 'M', 'M', 'Old'),
      (gen_random_uuid(), 'leaves@example.com', 'L', 'L', null)`);
    const [{ seq }] = await t.sql<{ seq: string }>('select coalesce(max(seq), 0)::text as seq from change_event');
    const { id } = await submit({
      mode: 'snapshot',
      people: [
        { email: 'same@example.com', firstName: 'S', lastName: 'S', department: 'D' },
        { email: 'moves@example.com', firstName: 'M', lastName: 'M', department: 'New' },
        { email: 'new@example.com', firstName: 'N', lastName: 'N' },
      ],
    });
    expect(await finished(id)).toMatchObject({ status: 'succeeded', summary: { create: 1, update: 1, historicize: 1, unchanged: 1 } });
    const [token] = await t.sql<{ id: string; name: string }>(
      "select id, name from api_token where role = 'Administrator' order by created_at limit 1",
    );
    expect(
      await t.sql(
        `select e.entity, e.op, e.changed, e.actor, e.request_id, p.email from change_event e join person p on p.id = e.entity_id
         where e.seq > ?::bigint order by p.email`,
        [seq],
      ),
    ).toEqual([
      {
        entity: 'person',
        op: 'historicize',
        changed: ['validTo'],
        actor: { token_id: token.id, token_name: token.name, role: 'Administrator' },
        request_id: id,
        email: 'leaves@example.com',
      },
      {
        entity: 'person',
        op: 'update',
        changed: ['department'],
        actor: { token_id: token.id, token_name: token.name, role: 'Administrator' },
        request_id: id,
        email: 'moves@example.com',
      },
      {
        entity: 'person',
        op: 'create',
        changed: expect.arrayContaining(['email', 'firstName', 'lastName']),
        actor: { token_id: token.id, token_name: token.name, role: 'Administrator' },
        request_id: id,
        email: 'new@example.com',
      },
    ]);
    expect(await t.sql('select count(*)::int as n from change_event where seq > ?::bigint', [seq])).toEqual([{ n: 3 }]);
  });

  it('dry run: plans and reports, changes nothing', async () => {
    await t.sql(`insert into person (id, email, first_name, last_name) values (gen_random_uuid(), 'old@example.com', 'O', 'O')`);
    const { id } = await submit({ mode: 'snapshot', dry_run: true, people: [{ email: 'new@example.com', firstName: 'N', lastName: 'N' }] });
    const job = await finished(id);
    expect(job).toMatchObject({
      status: 'succeeded',
      dry_run: true,
      summary: { create: 1, update: 0, historicize: 1, unchanged: 0, invalid: 0 },
      errors: [],
    });
    expect((await changes(id)).data.map((c) => [c.op, c.key])).toEqual([
      ['create', 'new@example.com'],
      ['historicize', 'old@example.com'],
    ]);
    expect(await people()).toEqual([{ email: 'old@example.com', first_name: 'O', department: null, valid_to: null }]);
  });

  it('max_changes: a plan with more changes is aborted and changes nothing', async () => {
    const { id } = await submit({
      max_changes: 1,
      people: [
        { email: 'a@example.com', firstName: 'A', lastName: 'A' },
        { email: 'b@example.com', firstName: 'B', lastName: 'B' },
      ],
    });
    const job = await finished(id);
    expect(job).toMatchObject({
      status: 'aborted',
      max_changes: 1,
      summary: { create: 2, update: 0, historicize: 0, unchanged: 0, invalid: 0 },
      errors: [{ section: 'job', index: null, field: null, message: expect.stringContaining('more than max_changes (1)') }],
    });
    expect(await people()).toEqual([]);
  });

  it('all or nothing: one invalid row fails the job listing every bad row, nothing applied', async () => {
    const { id } = await submit({
      people: [
        { email: 'good@example.com', firstName: 'G', lastName: 'G' },
        { email: 'not-an-email', firstName: '', lastName: 'X', shoeSize: 42 },
        { email: 'dup@example.com', firstName: 'D', lastName: 'D' },
        { email: 'DUP@example.com', firstName: 'D', lastName: 'D', validFrom: 'yesterday' },
      ],
    });
    const job = await finished(id);
    expect(job).toMatchObject({ status: 'failed', summary: { create: 0, update: 0, historicize: 0, unchanged: 0, invalid: 2 } });
    expect(job.errors).toEqual([
      { section: 'people', index: 1, field: 'shoeSize', message: 'is not an accepted field' },
      { section: 'people', index: 1, field: 'email', message: 'must be a valid email address' },
      { section: 'people', index: 1, field: 'firstName', message: 'must not be blank' },
      { section: 'people', index: 3, field: 'validFrom', message: expect.stringContaining('ISO 8601') },
    ]);
    expect(await people()).toEqual([]);
    const dup = await submit({
      people: [
        { email: 'dup@example.com', firstName: 'D', lastName: 'D' },
        { email: 'DUP@example.com', firstName: 'D', lastName: 'D' },
      ],
    });
    expect(await finished(dup.id)).toMatchObject({
      status: 'failed',
      summary: { invalid: 1 },
      errors: [{ section: 'people', index: 1, field: 'email', message: 'appears more than once in this job (also at index 0)' }],
    });
    expect(await people()).toEqual([]);
  });

  it('CSV: comma or semicolon, quoted fields, UTF-8 with BOM, aliases, options in the query string', async () => {
    const comma =
      '\uFEFFemail,firstName,lastName,business_group,displayName\r\n' + 'zoe@example.com,Zoë,"O""Neil, Jr",Engineering,"Zoë ""Z"""\r\n';
    const first = await submitCsv(comma);
    expect(await finished(first.id)).toMatchObject({ status: 'succeeded', summary: { create: 1, invalid: 0 } });
    const semicolon = 'email;firstName;lastName;department\n"zoe@example.com";Zoë;"O\'Neil; Sr";Ops\nyann@example.com;Yann;Le Cun;\n';
    const second = await submitCsv(semicolon, '?mode=snapshot&dry_run=false&max_changes=10');
    expect(await finished(second.id)).toMatchObject({
      status: 'succeeded',
      mode: 'snapshot',
      max_changes: 10,
      summary: { create: 1, update: 1, unchanged: 0 },
    });
    expect(await t.sql('select email, first_name, last_name, business, department, display_name from person order by email')).toEqual([
      { email: 'yann@example.com', first_name: 'Yann', last_name: 'Le Cun', business: null, department: null, display_name: null },
      {
        email: 'zoe@example.com',
        first_name: 'Zoë',
        last_name: "O'Neil; Sr",
        business: 'Engineering',
        department: 'Ops',
        display_name: 'Zoë "Z"',
      },
    ]);
  });

  it('CSV: a row with the wrong number of fields fails the job (section csv); a bad header is a 400', async () => {
    const { id } = await submitCsv('email,firstName,lastName\na@example.com,A,A\nb@example.com,B\n');
    expect(await finished(id)).toMatchObject({
      status: 'failed',
      summary: { invalid: 1 },
      errors: [{ section: 'csv', index: 1, field: null, message: 'has 2 fields, the header has 3' }],
    });
    expect(await people()).toEqual([]);
    const bad = await t.http().post('/api/v2/sync/jobs').set(admin()).set('Content-Type', 'text/csv').send('email,firstName,shoe\n');
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual(
      problem(400, 'validation-error', {
        errors: [
          { field: 'shoe', message: 'is not an accepted column' },
          { field: 'lastName', message: 'is a required column' },
        ],
      }),
    );
    const latin1 = await t
      .http()
      .post('/api/v2/sync/jobs')
      .set(admin())
      .set('Content-Type', 'text/csv')
      .send(Buffer.from('email,firstName,lastName\na@example.com,Zo\xeb,A\n', 'latin1'));
    expect(latin1.status).toBe(400);
    expect(latin1.body).toEqual(problem(400, 'validation-error', { errors: [{ field: 'body', message: 'is not valid UTF-8' }] }));
  });

  it('refuses malformed bodies and options with a 400 naming the field, other media types with 415', async () => {
    const post = () => t.http().post('/api/v2/sync/jobs').set(admin());
    const cases: [string, string, Record<string, unknown>][] = [
      ['application/json', '{"people": [', { errors: [{ field: 'body', message: 'is not valid JSON: it ends in the middle' }] }],
      ['application/json', '[1]', { errors: [{ field: 'body', message: 'must be a JSON object' }] }],
      ['application/json', '{"people": {}}', { errors: [{ field: 'people', message: 'must be an array' }] }],
      ['application/json', '{"staff": []}', { errors: [{ field: 'staff', message: 'is not an accepted field' }] }],
      ['application/json', '{"mode": "mirror", "people": []}', { errors: [{ field: 'mode', message: 'must be one of upsert, snapshot' }] }],
      ['application/json', '{"dry_run": "yes"}', { errors: [{ field: 'dry_run', message: 'must be a boolean' }] }],
      ['application/json', '{"max_changes": -1}', { errors: [{ field: 'max_changes', message: 'must not be less than 0' }] }],
    ];
    for (const [type, body, extra] of cases) {
      const res = await post().set('Content-Type', type).send(body);
      expect([body, res.status, res.body]).toEqual([body, 400, problem(400, 'validation-error', extra)]);
    }
    const plain = await post().set('Content-Type', 'text/plain').send('hello');
    expect(plain.status).toBe(415);
    expect(plain.body).toEqual(problem(415, 'unsupported-media-type'));
    const none = await post();
    expect(none.status).toBe(400);
    expect(none.body).toEqual(
      problem(400, 'validation-error', { errors: [{ field: 'body', message: 'is required: a JSON object or a CSV file' }] }),
    );
    const jobs = await t.sql('select count(*)::int as n from sync_job');
    const query = await post().query({ mode: 'snapshot' }).send({ people: [] });
    expect(query.status).toBe(400);
    expect(query.body).toEqual(
      problem(400, 'validation-error', { errors: [{ field: 'mode', message: 'goes in the JSON body, not the query string' }] }),
    );
    // Nothing of a refused request is stored.
    expect(await t.sql('select count(*)::int as n from sync_job')).toEqual(jobs);
  });

  it('needs Administrator or above: Power User and Viewer get 403, without a token 401', async () => {
    for (const token of [t.tokens.powerUser, t.tokens.viewer]) {
      const res = await t.http().post('/api/v2/sync/jobs').set(bearer(token)).send({ people: [] });
      expect(res.status).toBe(403);
      expect(res.body).toEqual(problem(403, 'forbidden'));
      expect((await t.http().get(`/api/v2/sync/jobs/00000000-0000-4000-8000-000000000000`).set(bearer(token))).status).toBe(403);
    }
    expect((await t.http().post('/api/v2/sync/jobs').send({ people: [] })).status).toBe(401);
    const opsera = await t.http().post('/api/v2/sync/jobs').set(bearer(t.tokens.opseraAdmin)).send({ people: [] });
    expect(opsera.status).toBe(202);
    expect(await finished(opsera.body.id as string)).toMatchObject({
      status: 'succeeded',
      summary: { create: 0, update: 0, historicize: 0, unchanged: 0, invalid: 0 },
    });
  });

  it('answers 404 for an unknown job and 400 for a malformed id', async () => {
    const missing = await t.http().get('/api/v2/sync/jobs/00000000000040008000000000000000').set(admin());
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual(problem(404, 'not-found'));
    const bad = await t.http().get('/api/v2/sync/jobs/nope/changes').set(admin());
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual(
      problem(400, 'validation-error', { errors: [{ field: 'id', message: 'must be a UUID (dashed or 32 hex digits)' }] }),
    );
  });

  it('accepts a JSON body above the normal body limit (its own limit applies)', async () => {
    const many = Array.from({ length: 12_000 }, (_, i) => ({
      email: `p${i}@example.com`,
      firstName: 'P',
      lastName: `${i}`,
      department: 'Bulk department name',
    }));
    const body = JSON.stringify({ max_changes: 20_000, people: many });
    expect(body.length).toBeGreaterThan(t.config.http.bodyLimitBytes);
    const res = await t.http().post('/api/v2/sync/jobs').set(admin()).set('Content-Type', 'application/json').send(body);
    expect(res.status).toBe(202);
    expect(await finished(res.body.id as string, 110_000)).toMatchObject({
      status: 'succeeded',
      progress: { total: 12_000, done: 12_000 },
      summary: { create: 12_000 },
    });
    expect(await t.sql('select count(*)::int as n from person')).toEqual([{ n: 12_000 }]);
  }, 120_000);

  describe('org units, roles and assignments', () => {
    const project = '6a1f2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b';

    it('creates units (parents by parent_code), roles and assignments in the project, and snapshot historicizes the missing assignments', async () => {
      const { id } = await submit({
        project_id: project,
        people: [
          { email: 'ada@example.com', firstName: 'Ada', lastName: 'L' },
          { email: 'alan@example.com', firstName: 'Alan', lastName: 'T' },
        ],
        org_units: [
          { code: 'ENG-RT', name: 'Runtime', parent_code: 'ENG' },
          { code: 'ENG', name: 'Engineering' },
        ],
        org_roles: [{ code: 'MGR', name: 'Manager' }],
        org_persons: [
          { person_email: 'ada@example.com', org_unit_code: 'ENG', org_role_code: 'MGR' },
          { person_email: 'ALAN@example.com', org_unit_code: 'ENG-RT' },
        ],
      });
      expect(await finished(id)).toMatchObject({
        status: 'succeeded',
        project_id: project,
        summary: { create: 7, update: 0, historicize: 0, unchanged: 0, invalid: 0 },
      });
      expect(
        await t.sql(
          `select u.code, p.code as parent, u.project_id from org_unit u left join org_unit p on p.id = u.parent_id order by u.code`,
        ),
      ).toEqual([
        { code: 'ENG', parent: null, project_id: project },
        { code: 'ENG-RT', parent: 'ENG', project_id: project },
      ]);
      const assignments = () =>
        t.sql(`select pe.email, u.code as unit, r.code as role, o.valid_to is null as open from org_person o
          join person pe on pe.id = o.person_id join org_unit u on u.id = o.org_unit_id left join org_role r on r.id = o.org_role_id order by pe.email`);
      expect(await assignments()).toEqual([
        { email: 'ada@example.com', unit: 'ENG', role: 'MGR', open: true },
        { email: 'alan@example.com', unit: 'ENG-RT', role: null, open: true },
      ]);
      const again = await submit({
        mode: 'snapshot',
        project_id: project,
        org_units: [{ code: 'ENG', name: 'Engineering', description: 'Builds it' }],
        org_persons: [{ person_email: 'ada@example.com', org_unit_code: 'ENG', org_role_code: 'MGR' }],
      });
      expect(await finished(again.id)).toMatchObject({
        status: 'succeeded',
        summary: { create: 0, update: 1, historicize: 1, unchanged: 1, invalid: 0 },
      });
      expect(await assignments()).toEqual([
        { email: 'ada@example.com', unit: 'ENG', role: 'MGR', open: true },
        { email: 'alan@example.com', unit: 'ENG-RT', role: null, open: false },
      ]);
      // People were not in the body: snapshot left them alone.
      expect(await t.sql('select count(*)::int as n from person where valid_to is null')).toEqual([{ n: 2 }]);
      expect((await changes(again.id)).data.map((c) => [c.entity, c.op, c.key, c.changed])).toEqual([
        ['org-unit', 'update', 'ENG', ['description']],
        ['org-person', 'historicize', 'alan@example.com|ENG-RT|', ['valid_to']],
      ]);
    });

    it('fails listing the assignments and units that refer to what does not exist', async () => {
      const { id } = await submit({
        project_id: project,
        org_units: [
          { code: 'A', name: 'A', parent_code: 'NOPE' },
          { code: 'B', name: 'B', parent_code: 'B' },
        ],
        org_persons: [{ person_email: 'nobody@example.com', org_unit_code: 'A', org_role_code: 'X' }],
      });
      expect(await finished(id)).toMatchObject({
        status: 'failed',
        summary: { invalid: 3 },
        errors: [
          { section: 'org_units', index: 0, field: 'parent_code', message: 'no unit with this code in the job or the project' },
          { section: 'org_units', index: 1, field: 'parent_code', message: 'would create a cycle' },
          { section: 'org_persons', index: 0, field: 'person_email', message: 'no person with this email in the job or stored' },
          { section: 'org_persons', index: 0, field: 'org_role_code', message: 'no role with this code in the job or the project' },
        ],
      });
      expect(await t.sql('select count(*)::int as n from org_unit')).toEqual([{ n: 0 }]);
    });
  });

  it('a single write acknowledged while the job waits for its locks is planned from, never overwritten by a stale plan', async () => {
    await t.sql(`insert into person (id, email, first_name, last_name) values (gen_random_uuid(), 'race@example.com', 'Before', 'R')`);
    const orm = t.app.get((await import('@mikro-orm/postgresql')).MikroORM);
    const side = orm.em.fork();
    const conn = side.getConnection();
    await side.begin();
    try {
      await side.execute(`update person set first_name = 'Single' where email = 'race@example.com'`);
      const { id } = await submit({ people: [{ email: 'race@example.com', firstName: 'Job', lastName: 'R' }] });
      // The job is running and waits for the row lock of the single write in flight.
      for (let i = 0; i < 100; i++) {
        const [row] = await t.sql<{ status: string }>('select status from sync_job where id = ?', [id]);
        if (row.status === 'running') break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      await side.commit();
      const [{ ms }] = await t.sql<{ ms: number }>('select floor(extract(epoch from clock_timestamp()) * 1000)::float8 as ms');
      const job = await finished(id);
      expect(job).toMatchObject({ status: 'succeeded', summary: { update: 1 } });
      // finished_at is when the job ended (after the wait), not when its transaction began.
      expect(Date.parse(job.finished_at as string)).toBeGreaterThanOrEqual(Number(ms));
      const listed = await changes(id);
      expect(listed.data[0]).toMatchObject({
        op: 'update',
        changed: ['firstName'],
        before: { firstName: 'Single' },
        after: { firstName: 'Job' },
      });
    } finally {
      if (side.isInTransaction()) await side.rollback();
      void conn;
    }
  });

  describe('managerEmail (contract 11 and 12)', () => {
    const PEOPLE = '/api/v2/data/people';
    const managers = () =>
      t.sql<{ email: string; manager: string | null }>(
        'select p.email, m.email as manager from person p left join person m on m.id = p.manager_id order by lower(p.email)',
      );
    async function person(email: string) {
      const res = await t.http().get(`${PEOPLE}/${email}`).set(admin());
      expect(res.status).toBe(200);
      return res.body as Record<string, unknown>;
    }
    /** The stored people and their managers, as `email>manager` lines (quick setup). */
    async function store(lines: [string, string | null][]) {
      for (const [email] of lines) {
        await t.sql(`insert into person (id, email, first_name, last_name) values (gen_random_uuid(), ?, 'F', 'L')`, [email]);
      }
      for (const [email, manager] of lines.filter(([, m]) => m)) {
        await t.sql('update person set manager_id = (select id from person where email = ?) where email = ?', [manager, email]);
      }
    }
    const row = (email: string, managerEmail?: string | null) => ({
      email,
      firstName: 'F',
      lastName: 'L',
      ...(managerEmail === undefined ? {} : { managerEmail }),
    });

    it('sets managers stored or created by the same job (before or after the report), case-insensitively; plan, read-back and events carry them', async () => {
      await store([['Old@example.com', null]]);
      const [old] = await t.sql<{ id: string }>(`select id from person where email = 'Old@example.com'`);
      const [{ seq }] = await t.sql<{ seq: string }>('select coalesce(max(seq), 0)::text as seq from change_event');
      const { id } = await submit({
        people: [
          row('report@example.com', 'BOSS@example.com'),
          row('Boss@example.com', 'old@EXAMPLE.com'),
          row('solo@example.com', null),
          { ...row('old@example.com'), team: 'T' },
        ],
      });
      expect(await finished(id)).toEqual(
        expect.objectContaining({
          status: 'succeeded',
          summary: { create: 3, update: 1, historicize: 0, unchanged: 0, invalid: 0 },
          errors: [],
        }),
      );
      expect(await managers()).toEqual([
        { email: 'Boss@example.com', manager: 'old@example.com' },
        { email: 'old@example.com', manager: null },
        { email: 'report@example.com', manager: 'Boss@example.com' },
        { email: 'solo@example.com', manager: null },
      ]);
      const boss = await person('boss@example.com');
      expect(boss).toMatchObject({ email: 'Boss@example.com', managerId: old.id, managerEmail: 'old@example.com' });
      expect(await person('report@example.com')).toMatchObject({ managerId: boss.id, managerEmail: 'Boss@example.com' });
      expect(await person('solo@example.com')).toMatchObject({ managerId: null, managerEmail: null });
      // The closure table: report -> Boss -> old.
      const reports = await t.http().get(`${PEOPLE}/old@example.com/reports?depth=all&sort=email`).set(admin());
      expect(reports.status).toBe(200);
      expect((reports.body.data as { email: string }[]).map((p) => p.email)).toEqual(['Boss@example.com', 'report@example.com']);

      const listed = await changes(id);
      expect(listed.data.map((c) => [c.key, c.op, c.changed])).toEqual([
        ['report@example.com', 'create', ['email', 'firstName', 'lastName', 'managerEmail']],
        ['Boss@example.com', 'create', ['email', 'firstName', 'lastName', 'managerEmail']],
        ['solo@example.com', 'create', ['email', 'firstName', 'lastName']],
        ['old@example.com', 'update', ['email', 'team']],
      ]);
      expect(listed.data[0].after).toEqual({
        id: UUID,
        email: 'report@example.com',
        firstName: 'F',
        lastName: 'L',
        displayName: null,
        externalId: null,
        organization: null,
        business: null,
        department: null,
        group: null,
        team: null,
        managerId: boss.id,
        managerEmail: 'Boss@example.com',
        validFrom: null,
        validTo: null,
      });
      // The manager's email as the job leaves it (the job changes its case).
      expect(listed.data[1].after).toMatchObject({ managerId: old.id, managerEmail: 'old@example.com' });

      const events = await t.sql<{ op: string; changed: string[]; manager: string | null; email: string }>(
        `select e.op, e.changed, e.after->>'managerEmail' as manager, e.after->>'email' as email from change_event e
         where e.seq > ?::bigint and e.entity = 'person' order by e.after->>'email'`,
        [seq],
      );
      // An event carries the manager's email as of its write: Boss was created before old's email changed.
      expect(events).toEqual([
        {
          op: 'create',
          changed: expect.arrayContaining(['managerId', 'managerEmail']),
          manager: 'Old@example.com',
          email: 'Boss@example.com',
        },
        { op: 'update', changed: ['email', 'team'], manager: null, email: 'old@example.com' },
        {
          op: 'create',
          changed: expect.arrayContaining(['managerId', 'managerEmail']),
          manager: 'Boss@example.com',
          email: 'report@example.com',
        },
        { op: 'create', changed: expect.any(Array), manager: null, email: 'solo@example.com' },
      ]);
    });

    it('swaps and rotates reporting lines within one job (the row-by-row trigger would refuse them half-applied)', async () => {
      await store([
        ['a@example.com', null],
        ['b@example.com', 'a@example.com'],
        ['c@example.com', 'b@example.com'],
        ['x@example.com', null],
        ['y@example.com', 'x@example.com'],
      ]);
      const { id } = await submit({
        people: [
          // a under c, c on top: a -> c, b -> a stays, c -> none (both orders in one statement).
          row('a@example.com', 'c@example.com'),
          row('c@example.com', null),
          row('x@example.com', 'y@example.com'),
          row('y@example.com', null),
        ],
      });
      expect(await finished(id)).toMatchObject({
        status: 'succeeded',
        summary: { create: 0, update: 4, unchanged: 0, invalid: 0 },
        errors: [],
      });
      expect(await managers()).toEqual([
        { email: 'a@example.com', manager: 'c@example.com' },
        { email: 'b@example.com', manager: 'a@example.com' },
        { email: 'c@example.com', manager: null },
        { email: 'x@example.com', manager: 'y@example.com' },
        { email: 'y@example.com', manager: null },
      ]);
      const chain = await t.http().get(`${PEOPLE}/b@example.com/managers`).set(admin());
      expect((chain.body.data as { email: string; depth: number }[]).map((m) => [m.email, m.depth])).toEqual([
        ['a@example.com', 1],
        ['c@example.com', 2],
      ]);
    });

    it('an unknown manager fails the job listing the row; nothing applied', async () => {
      await store([['boss@example.com', null]]);
      const { id } = await submit({
        people: [
          row('new@example.com', 'boss@example.com'),
          row('other@example.com', 'nobody@example.com'),
          row('bad@example.com', 'not-an-email'),
        ],
      });
      const job = await finished(id);
      expect(job).toMatchObject({ status: 'failed', summary: { create: 0, update: 0, historicize: 0, unchanged: 0, invalid: 1 } });
      expect(job.errors).toEqual([{ section: 'people', index: 2, field: 'managerEmail', message: 'must be a valid email address' }]);
      const again = await submit({ people: [row('new@example.com', 'boss@example.com'), row('other@example.com', 'nobody@example.com')] });
      const failed = await finished(again.id);
      expect(failed).toMatchObject({ status: 'failed', summary: { create: 0, update: 0, historicize: 0, unchanged: 0, invalid: 1 } });
      expect(failed.errors).toEqual([
        { section: 'people', index: 1, field: 'managerEmail', message: 'no person with this email in the job or stored' },
      ]);
      expect(await managers()).toEqual([{ email: 'boss@example.com', manager: null }]);
    });

    it('a self-reference or a loop of the final state fails the job listing the rows; nothing applied', async () => {
      await store([
        ['a@example.com', null],
        ['b@example.com', 'a@example.com'],
      ]);
      const [{ seq }] = await t.sql<{ seq: string }>('select coalesce(max(seq), 0)::text as seq from change_event');
      const { id } = await submit({
        people: [
          row('ok@example.com', 'b@example.com'),
          row('a@example.com', 'b@example.com'),
          row('self@example.com', 'SELF@example.com'),
          row('n1@example.com', 'n2@example.com'),
          row('n2@example.com', 'n1@example.com'),
        ],
      });
      const job = await finished(id);
      expect(job).toMatchObject({ status: 'failed', summary: { create: 0, update: 0, historicize: 0, unchanged: 0, invalid: 4 } });
      expect(job.errors).toEqual([
        { section: 'people', index: 1, field: 'managerEmail', message: 'would create a cycle' },
        { section: 'people', index: 2, field: 'managerEmail', message: 'would create a cycle' },
        { section: 'people', index: 3, field: 'managerEmail', message: 'would create a cycle' },
        { section: 'people', index: 4, field: 'managerEmail', message: 'would create a cycle' },
      ]);
      expect(await managers()).toEqual([
        { email: 'a@example.com', manager: null },
        { email: 'b@example.com', manager: 'a@example.com' },
      ]);
      expect(await changes(id)).toMatchObject({ count: 0 });
      expect(await t.sql('select count(*)::int as n from change_event where seq > ?::bigint', [seq])).toEqual([{ n: 0 }]);
      // The same loop closed by moving b instead is fine once a is moved away first (final state decides).
      const fine = await submit({ people: [row('a@example.com', 'b@example.com'), row('b@example.com', null)] });
      expect(await finished(fine.id)).toMatchObject({ status: 'succeeded', summary: { update: 2 } });
      expect(await managers()).toEqual([
        { email: 'a@example.com', manager: 'b@example.com' },
        { email: 'b@example.com', manager: null },
      ]);
    });

    it('CSV: a managerEmail column; an empty cell clears', async () => {
      await store([
        ['boss@example.com', null],
        ['was@example.com', 'boss@example.com'],
      ]);
      const { id } = await submitCsv('email;firstName;lastName;managerEmail\nnew@example.com;N;N;Boss@Example.com\nwas@example.com;F;L;\n');
      expect(await finished(id)).toMatchObject({ status: 'succeeded', summary: { create: 1, update: 1, unchanged: 0, invalid: 0 } });
      expect(await managers()).toEqual([
        { email: 'boss@example.com', manager: null },
        { email: 'new@example.com', manager: 'boss@example.com' },
        { email: 'was@example.com', manager: null },
      ]);
    });

    it('omitted keeps the manager, null clears it, the same manager is unchanged', async () => {
      await store([
        ['boss@example.com', null],
        ['keep@example.com', 'boss@example.com'],
        ['clear@example.com', 'boss@example.com'],
        ['same@example.com', 'boss@example.com'],
      ]);
      const { id } = await submit({
        people: [row('keep@example.com'), row('clear@example.com', null), row('same@example.com', 'Boss@Example.com')],
      });
      expect(await finished(id)).toMatchObject({
        status: 'succeeded',
        summary: { create: 0, update: 1, historicize: 0, unchanged: 2, invalid: 0 },
      });
      expect(await managers()).toEqual([
        { email: 'boss@example.com', manager: null },
        { email: 'clear@example.com', manager: null },
        { email: 'keep@example.com', manager: 'boss@example.com' },
        { email: 'same@example.com', manager: 'boss@example.com' },
      ]);
      const listed = await changes(id);
      expect(
        listed.data.map((c) => [
          c.key,
          c.changed,
          (c.before as Record<string, unknown>).managerEmail,
          (c.after as Record<string, unknown>).managerEmail,
        ]),
      ).toEqual([['clear@example.com', ['managerEmail'], 'boss@example.com', null]]);
    });
  });
});
