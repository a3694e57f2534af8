import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { bearer, createTestApp, type TestApp } from '../support/test-app.js';
import { drain, truncateChangeLog, type FeedEvent } from '../support/changes.js';
import { truncateOrgTables } from '../support/org-factories.js';

/**
 * Completeness of the feed (contract 10.1): transactions take their events' place in the log when
 * they commit, not when they write. Writers race through the API while side transactions write
 * first and commit late; a reader tails the feed with small pages all along. At the end, what the
 * reader saw is the whole log, in the same order, without a gap or a repeat.
 *
 * The side transactions also stay in their commit window for a while: a test-only deferred trigger
 * queued after the change log's sleeps once their position is taken, so later positions commit and
 * are read before theirs becomes visible. A reader that moved past a position still in flight would
 * miss their events (docs/decisions.md, "Positions at commit, not at insert").
 */
const COMMIT_WINDOW_MS = 400;

describe('Change feed under concurrent writers', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ DB_POOL_MAX: '12' });
    await truncateOrgTables(t);
    await truncateChangeLog(t);
    await t.sql('create table if not exists test_commit_window (id int)');
    await t.sql(
      `create or replace function test_commit_window_sleep() returns trigger language plpgsql as $$
       begin perform pg_sleep(${COMMIT_WINDOW_MS / 1000}); return null; end $$`,
    );
    await t.sql('drop trigger if exists test_commit_window_sleep on test_commit_window');
    await t.sql(
      `create constraint trigger test_commit_window_sleep after insert on test_commit_window
         deferrable initially deferred for each row execute function test_commit_window_sleep()`,
    );
  });
  afterAll(async () => {
    await t.sql('drop table if exists test_commit_window');
    await t.sql('drop function if exists test_commit_window_sleep()');
    await t.close();
  });

  it('hands every committed event to a tailing reader exactly once, in commit order', async () => {
    let writing = true;
    const seen: FeedEvent[] = [];
    const reader = (async () => {
      let cursor: string | undefined;
      for (;;) {
        const done = !writing;
        const res = await t
          .http()
          .get('/api/v2/changes')
          .query({ ...(cursor ? { after: cursor } : {}), limit: '7' })
          .set(bearer(t.tokens.admin));
        expect(res.status).toBe(200);
        const body = res.body as { data: FeedEvent[]; next: string };
        seen.push(...body.data);
        cursor = body.next;
        if (body.data.length === 0) {
          if (done) return;
          await sleep(5);
        }
      }
    })();

    // Side transactions: write first (so they hold the older transaction ids), commit last.
    const held = await Promise.all(
      Array.from({ length: 4 }, async (_, i) => {
        const client = new pg.Client({ connectionString: t.url });
        await client.connect();
        await client.query('begin');
        const id = randomUUID();
        await client.query('insert into org_role (id, name) values ($1, $2)', [id, `Held ${i}`]);
        // Queued after the change log's deferred trigger: the commit sleeps with its position taken.
        await client.query('insert into test_commit_window (id) values ($1)', [i]);
        return { client, id };
      }),
    );

    let created = 0;
    const api = async (w: number) => {
      for (let i = 0; i < 12; i++) {
        const res = await t
          .http()
          .post('/api/v2/data/people')
          .set(bearer(t.tokens.powerUser))
          .send({ email: `w${w}-${i}@example.com`, firstName: 'W', lastName: `${w}-${i}` });
        expect(res.status).toBe(201);
        created++;
        if (i % 3 === 0) {
          const upd = await t
            .http()
            .put(`/api/v2/data/people/w${w}-${i}@example.com`)
            .set(bearer(t.tokens.powerUser))
            .send({ team: `t${i}` });
          expect(upd.status).toBe(200);
        }
      }
    };
    const writers = Array.from({ length: 6 }, (_, w) => api(w));
    // Commit the held transactions while the API writers are still running: each stays in its
    // commit window COMMIT_WINDOW_MS, position taken, while the API writers commit after it.
    let slowCommits = 0;
    const committer = (async () => {
      for (const [n, h] of held.entries()) {
        while (created < (n + 1) * 12) await sleep(10);
        const started = Date.now();
        await h.client.query('commit');
        if (Date.now() - started >= COMMIT_WINDOW_MS) slowCommits++;
        await h.client.end();
      }
    })();
    await Promise.all([...writers, committer]);
    writing = false;
    expect(slowCommits).toBe(held.length);
    await reader;

    const { events: log } = await drain(t);
    expect(log).toHaveLength(6 * 12 + 6 * 4 + 4);
    expect(new Set(log.map((e) => e.id)).size).toBe(log.length);
    expect(seen.map((e) => e.id)).toEqual(log.map((e) => e.id));
    expect(seen).toEqual(log);
    // The held transactions wrote before every API writer but appear where they committed: after
    // events that committed while they were open.
    const firstHeld = log.findIndex((e) => e.entity === 'org-role');
    expect(firstHeld).toBeGreaterThan(0);
    expect(log.slice(0, firstHeld).every((e) => e.entity === 'person')).toBe(true);
    // The held transactions' positions were taken while API writers kept committing: some API
    // events come after a held one in the feed although they became visible before it.
    const lastHeld = log.map((e) => e.entity).lastIndexOf('org-role');
    expect(log.slice(firstHeld, lastHeld).some((e) => e.entity === 'person')).toBe(true);
    // Commit times never go backwards along one entity's events; along the feed, only by the time a
    // writer spends between taking its position and reading the clock (microseconds; 1 s bound here).
    const byEntity = new Map<string, number[]>();
    for (const e of log) byEntity.set(e.entity_id, [...(byEntity.get(e.entity_id) ?? []), Date.parse(e.at)]);
    for (const times of byEntity.values()) expect([...times].sort((a, b) => a - b)).toEqual(times);
    let latest = 0;
    for (const e of log) {
      const at = Date.parse(e.at);
      expect(at).toBeGreaterThan(latest - 1000);
      latest = Math.max(latest, at);
    }
  });
});
