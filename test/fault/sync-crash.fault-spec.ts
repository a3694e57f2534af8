import { setTimeout as sleep } from 'node:timers/promises';
import { ServerFixture } from './support/server.js';

const PEOPLE = 40_000;

/**
 * Contract section 12 / issue 12: a sync job accepted before a crash finishes after the restart and
 * never stays `running`; the crash applies nothing (one transaction). The server runs as a child
 * process and is killed with SIGKILL while its job is running.
 */
describe('Sync job across a crash of the server', () => {
  let fixture: ServerFixture;

  beforeAll(async () => {
    fixture = await ServerFixture.start('sync-crash');
  }, 400_000);

  afterAll(() => fixture?.close(), 60_000);

  const status = async (id: string) =>
    (await fixture.sql<{ status: string; attempts: number }>('select status, attempts from sync_job where id = ?', [id]))[0];
  const people = async () => (await fixture.sql<{ n: number }>('select count(*)::int as n from person'))[0].n;

  it('finishes the job after SIGKILL and a restart, applied exactly once', async () => {
    const { port, token } = await fixture.startServer();
    const lines = ['email,firstName,lastName,department'];
    for (let i = 0; i < PEOPLE; i++) lines.push(`crash${i}@example.com,First${i},Last${i},Dept ${i % 20}`);
    const res = await fetch(`http://127.0.0.1:${port}/api/v2/sync/jobs?mode=snapshot&max_changes=${PEOPLE}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'text/csv' },
      body: `${lines.join('\n')}\n`,
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };

    // Killed while the job runs (its plan and apply take seconds at this size).
    const start = Date.now();
    while ((await status(id)).status !== 'running' && Date.now() - start < 30_000) await sleep(20);
    await sleep(500);
    await fixture.crashServer();
    expect(await status(id)).toEqual({ status: 'running', attempts: 1 });
    expect(await people()).toBe(0);

    await fixture.startServer();
    const restarted = Date.now();
    let last = await status(id);
    while (['queued', 'running'].includes(last.status) && Date.now() - restarted < 200_000) {
      await sleep(500);
      last = await status(id);
    }
    expect(last).toEqual({ status: 'succeeded', attempts: 2 });
    expect(await people()).toBe(PEOPLE);
    expect(await fixture.sql('select count(*)::int as n from sync_change where job_id = ?', [id])).toEqual([{ n: PEOPLE }]);
  }, 400_000);
});
