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
 */
describe('Change feed under concurrent writers', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ DB_POOL_MAX: '12' });
    await truncateOrgTables(t);
    await truncateChangeLog(t);
  });
  afterAll(() => t.close());

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
    // Commit the held transactions one by one while the API writers are still running.
    const committer = (async () => {
      for (const [n, h] of held.entries()) {
        while (created < (n + 1) * 12) await sleep(10);
        await h.client.query('commit');
        await h.client.end();
      }
    })();
    await Promise.all([...writers, committer]);
    writing = false;
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
    // Commit times never go backwards along the feed.
    const times = log.map((e) => Date.parse(e.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });
});
