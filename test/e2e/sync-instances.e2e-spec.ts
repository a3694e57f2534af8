import { MikroORM } from '@mikro-orm/postgresql';
import { RequestContext } from '@mikro-orm/core';
import { setTimeout as sleep } from 'node:timers/promises';
import { SyncService } from '../../src/sync/sync.service.js';
import { bearer, createTestApp, type TestApp } from '../support/test-app.js';

/**
 * Contract section 12 / issue 12 point 2: two instances on one database, both with their sync
 * workers started, never run one job twice; and the retention of finished jobs.
 */
describe('Sync jobs across two instances', () => {
  let one: TestApp;
  let two: TestApp;

  beforeAll(async () => {
    one = await createTestApp();
    // The second start empties the tokens of the first: its tokens serve both (one database).
    two = await createTestApp();
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
  });
  beforeEach(async () => {
    await two.sql('truncate org_person, org_role, org_unit, person cascade');
    await two.sql('delete from sync_job');
  });

  const admin = () => bearer(two.tokens.admin);

  async function submitPeople(prefix: string, count: number): Promise<string> {
    const lines = ['email,firstName,lastName'];
    for (let i = 0; i < count; i++) lines.push(`${prefix}${i}@example.com,F${i},L${i}`);
    const res = await one
      .http()
      .post('/api/v2/sync/jobs')
      .set(admin())
      .set('Content-Type', 'text/csv')
      .send(`${lines.join('\n')}\n`);
    expect(res.status).toBe(202);
    return (res.body as { id: string }).id;
  }

  const job = async (id: string) =>
    (
      await two.sql<{ status: string; attempts: number; finished_at: Date | null }>(
        'select status, attempts, finished_at from sync_job where id = ?',
        [id],
      )
    )[0];

  async function until(probe: () => Promise<boolean>, ms = 30_000): Promise<void> {
    const end = Date.now() + ms;
    while (!(await probe())) {
      if (Date.now() > end) throw new Error('condition not met in time');
      await sleep(50);
    }
  }

  /** Runs the job as a worker of `app` would (a pg-boss delivery), outside any HTTP request. */
  const runOn = (app: TestApp, id: string) => {
    const orm = app.app.get(MikroORM);
    return RequestContext.create(orm.em, () => app.app.get(SyncService).run(id));
  };

  const events = async (id: string) =>
    (await two.sql<{ n: number }>('select count(*)::int as n from change_event where request_id = ?', [id]))[0].n;

  it('runs each of several jobs exactly once while both workers poll the queue', async () => {
    const ids: string[] = [];
    for (const prefix of ['a', 'b', 'c', 'd', 'e', 'f']) ids.push(await submitPeople(prefix, 20));
    await until(async () => (await Promise.all(ids.map(job))).every((j) => j.status === 'succeeded'));
    for (const id of ids) {
      expect(await job(id)).toMatchObject({ status: 'succeeded', attempts: 1 });
      expect(await events(id)).toBe(20);
    }
    expect(await two.sql('select count(*)::int as n from person')).toEqual([{ n: 120 }]);
  });

  it('a second delivery of a running job, on either instance, neither starts it again nor applies it twice', async () => {
    await two.sql(`insert into person (id, email, first_name, last_name) values (gen_random_uuid(), 'held@example.com', 'H', 'H')`);
    // A single write in flight holds the job at its table locks, inside its transaction.
    const side = one.app.get(MikroORM).em.fork();
    await side.begin();
    try {
      await side.execute(`update person set first_name = 'Held' where email = 'held@example.com'`);
      const id = await submitPeople('x', 30);
      await until(async () => (await job(id)).status === 'running');
      await sleep(300);
      // As pg-boss would after an expiry: the same job handed to a worker of each instance.
      await runOn(one, id);
      await runOn(two, id);
      expect(await job(id)).toMatchObject({ status: 'running', attempts: 1 });
      await side.commit();
    } finally {
      if (side.isInTransaction()) await side.rollback();
    }
    const [{ id }] = await two.sql<{ id: string }>('select id from sync_job');
    await until(async () => (await job(id)).status === 'succeeded');
    const done = await job(id);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1 });
    // Later deliveries of a finished job change nothing.
    await runOn(one, id);
    await runOn(two, id);
    expect(await job(id)).toEqual(done);
    expect(await events(id)).toBe(30);
    expect(await two.sql('select count(*)::int as n from sync_change where job_id = ?', [id])).toEqual([{ n: 30 }]);
    expect(await two.sql(`select count(*)::int as n from person where email like 'x%'`)).toEqual([{ n: 30 }]);
  });

  it('deletes finished jobs older than SYNC_JOB_RETENTION_DAYS with their changes and errors, keeps the rest', async () => {
    const ids = { old: await submitPeople('o', 3), recent: await submitPeople('r', 3) };
    await until(async () => (await job(ids.old)).status === 'succeeded' && (await job(ids.recent)).status === 'succeeded');
    await two.sql(`insert into sync_error (job_id, section, idx, field, message) values (?, 'people', 0, 'email', 'x')`, [ids.old]);
    const days = two.config.sync.jobRetentionDays;
    await two.sql(`update sync_job set finished_at = now() - make_interval(days => ?) - interval '1 minute' where id = ?`, [days, ids.old]);
    await two.sql(`update sync_job set finished_at = now() - make_interval(days => ?) + interval '1 minute' where id = ?`, [
      days,
      ids.recent,
    ]);
    // A job still queued, however old, is never deleted.
    await two.sql(
      `insert into sync_job (id, status, mode, dry_run, max_changes, actor, request_id, created_at)
       values (gen_random_uuid(), 'queued', 'upsert', false, 1, '{}', 'r', now() - interval '1000 days')`,
    );
    expect(await two.app.get(SyncService).trimFinished()).toBe(1);
    expect(await two.sql('select status from sync_job where id = ?', [ids.old])).toEqual([]);
    expect(await two.sql('select count(*)::int as n from sync_change where job_id = ?', [ids.old])).toEqual([{ n: 0 }]);
    expect(await two.sql('select count(*)::int as n from sync_error where job_id = ?', [ids.old])).toEqual([{ n: 0 }]);
    expect(await two.sql('select count(*)::int as n from sync_change where job_id = ?', [ids.recent])).toEqual([{ n: 3 }]);
    expect(await two.sql('select status from sync_job order by status')).toEqual([{ status: 'queued' }, { status: 'succeeded' }]);
    // The people the trimmed job created stay.
    expect(await two.sql(`select count(*)::int as n from person where email like 'o%'`)).toEqual([{ n: 3 }]);
  });
});
