import { bearer, createTestApp, type TestApp } from '../support/test-app.js';

/**
 * The unfiltered people list answers its exact total from person_count (a row count kept by statement
 * triggers) minus the inactive people (Migration20261201121000, issue 10): it must equal count(*)
 * through every kind of write, including rolled-back ones, truncation and concurrent creates.
 */
describe('People list: the exact total of the unfiltered list', () => {
  let t: TestApp;
  let auth: Record<string, string>;

  beforeAll(async () => {
    t = await createTestApp();
    auth = bearer(t.tokens.powerUser);
  });
  afterAll(() => t.close());
  beforeEach(() => t.sql('truncate person cascade'));

  const totals = async () => {
    const [active, all] = await Promise.all([
      t.http().get('/api/v2/data/people?per-page=1').set(auth),
      t.http().get('/api/v2/data/people?per-page=1&history=true').set(auth),
    ]);
    expect(active.status).toBe(200);
    expect(all.status).toBe(200);
    return { active: Number(active.headers['x-pagination-total-count']), all: Number(all.headers['x-pagination-total-count']) };
  };
  const counted = async () => {
    const [row] = await t.sql<{ active: number; all: number }>(
      `select count(*) filter (where (valid_from is null or valid_from <= now()) and (valid_to is null or valid_to > now()))::int as active,
              count(*)::int as "all" from person`,
    );
    return row;
  };

  it('counts active, future and past people exactly, as count(*) does', async () => {
    const create = (body: Record<string, unknown>) => t.http().post('/api/v2/data/people').set(auth).send(body);
    expect((await create({ email: 'now@example.com', firstName: 'N', lastName: 'Ow' })).status).toBe(201);
    expect((await create({ email: 'soon@example.com', firstName: 'S', lastName: 'Oon', validFrom: '2999-01-01T00:00:00Z' })).status).toBe(
      201,
    );
    expect(
      (
        await create({
          email: 'gone@example.com',
          firstName: 'G',
          lastName: 'One',
          validFrom: '2000-01-01T00:00:00Z',
          validTo: '2001-01-01T00:00:00Z',
        })
      ).status,
    ).toBe(201);
    expect(await totals()).toEqual({ active: 1, all: 3 });
    expect(await counted()).toEqual({ active: 1, all: 3 });
  });

  it('stays exact through bulk inserts, deletes, a rolled-back insert and truncation', async () => {
    await t.sql(
      `insert into person (id, email, first_name, last_name, valid_to)
       select gen_random_uuid(), 'bulk' || n || '@example.com', 'B', 'Ulk', case when n % 10 = 0 then now() - interval '1 day' end
       from generate_series(1, 50) n`,
    );
    await t.sql(`delete from person where email like 'bulk1%@example.com'`);
    await expect(
      t.sql(`do $$ begin
               insert into person (id, email, first_name, last_name) values (gen_random_uuid(), 'undone@example.com', 'U', 'Ndone');
               raise exception 'rolled back';
             end $$`),
    ).rejects.toThrow(/rolled back/);
    const expected = await counted();
    expect(expected.all).toBe(39);
    expect(await totals()).toEqual(expected);

    await t.sql('truncate person cascade');
    expect(await totals()).toEqual({ active: 0, all: 0 });
  });

  it('stays exact under concurrent creates, and keeps its deltas folded', async () => {
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        t
          .http()
          .post('/api/v2/data/people')
          .set(auth)
          .send({ email: `c${i}@example.com`, firstName: 'C', lastName: `N${i}` }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array.from({ length: 24 }, () => 201));
    expect(await totals()).toEqual({ active: 24, all: 24 });
    expect(await counted()).toEqual({ active: 24, all: 24 });
    // Each write folds the rows no other transaction holds: a few rows at most, never one per write.
    await t.http().post('/api/v2/data/people').set(auth).send({ email: 'last@example.com', firstName: 'L', lastName: 'Ast' });
    const [{ rows }] = await t.sql<{ rows: number }>('select count(*)::int as rows from person_count');
    expect(rows).toBe(1);
  });
});
