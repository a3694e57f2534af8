import { EntityManager } from '@mikro-orm/postgresql';
import { Jobs } from '../../src/common/jobs/jobs.service.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/** The durable job queue under the webhooks and sync jobs: transactional, kept across a restart. */
describe('Job queue (pg-boss)', () => {
  let t: TestApp;
  const queue = `test-jobs-${process.pid}`;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  async function until<T>(probe: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > end) throw new Error('timed out');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('writes a job with the transaction that queued it: a rollback leaves none, a commit one', async () => {
    const jobs = t.app.get(Jobs);
    await jobs.queue(queue);
    const em = t.app.get(EntityManager).fork();
    await expect(
      em.transactional(async (tx) => {
        await jobs.send(queue, { n: 1 }, {}, tx);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    await em.transactional(async (tx) => {
      await jobs.send(queue, { n: 2 }, {}, tx);
    });
    const stored = await t.sql<{ data: { n: number } }>('select data from pgboss.job where name = ?', [queue]);
    expect(stored).toEqual([{ data: { n: 2 } }]);
  });

  it('works a queued job after a restart of the application', async () => {
    const restartQueue = `${queue}-restart`;
    await t.app.get(Jobs).queue(restartQueue);
    await t.app.get(Jobs).send(restartQueue, { n: 3 });
    await t.close();
    t = await createTestApp();
    const seen: unknown[] = [];
    await t.app.get(Jobs).work<{ n: number }>(restartQueue, { pollingIntervalSeconds: 0.5 }, (batch) => {
      for (const job of batch) seen.push(job.data);
      return Promise.resolve();
    });
    await until(() => Promise.resolve(seen.length > 0 ? seen : undefined));
    expect(seen).toEqual([{ n: 3 }]);
    const state = await until(async () => {
      const [row] = await t.sql<{ state: string }>('select state from pgboss.job where name = ?', [restartQueue]);
      return row?.state === 'completed' ? row.state : undefined;
    });
    expect(state).toBe('completed');
  });
});
