import { setTimeout as sleep } from 'node:timers/promises';
import { bearer, type TestApp } from './test-app.js';

const UNSETTLED = ['queued', 'running'];

/**
 * Polls sync job `id` through its route until it has left `queued` and `running`; returns its status
 * body. Past `ms` it fails with the job and what the database was doing. The default leaves room for
 * a busy CI machine: a job that takes a second alone can take tens of seconds there.
 */
export async function syncJobSettled(t: TestApp, id: string, ms = 120_000): Promise<Record<string, unknown>> {
  const end = Date.now() + ms;
  for (;;) {
    const res = await t.http().get(`/api/v2/sync/jobs/${id}`).set(bearer(t.tokens.admin));
    if (res.status !== 200) throw new Error(`GET /api/v2/sync/jobs/${id} answered ${res.status}: ${JSON.stringify(res.body)}`);
    if (!UNSETTLED.includes(res.body.status as string)) return res.body as Record<string, unknown>;
    if (Date.now() > end) {
      const activity = await t.sql(
        `select state, wait_event_type, wait_event, now() - query_start as d, left(query, 300) as q
           from pg_stat_activity where state <> 'idle' and pid <> pg_backend_pid()`,
      );
      throw new Error(`job ${id} still ${JSON.stringify(res.body)} after ${ms} ms; sessions: ${JSON.stringify(activity)}`);
    }
    await sleep(100);
  }
}

/**
 * Waits until no sync job of the test database is queued or running. A job runs on after its 202 and
 * holds locks on the four tables while it applies: a test that queued one ends with this, so that the
 * next test's truncate does not meet them (a deadlock in CI, once).
 */
export async function noSyncJobUnsettled(t: TestApp, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const [row] = await t.sql<{ n: number }>(`select count(*)::int as n from sync_job where status in ('queued', 'running')`);
    if (row.n === 0) return;
    if (Date.now() > end) throw new Error(`${row.n} sync job(s) still queued or running after ${ms} ms`);
    await sleep(50);
  }
}
