import { request as httpRequest, type ClientRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { bearer, createTestApp, problem, UUID, type TestApp } from '../support/test-app.js';
import { noSyncJobUnsettled, syncJobSettled } from '../support/sync-jobs.js';

/**
 * Contract 10.4 on `POST /api/v2/sync/jobs`: the body is streamed to the service, so the request is
 * fingerprinted while it is read (raw bytes, content type, query string). A repeat of a finished
 * request gets the first answer (202, body, Location) with Idempotent-Replayed and queues no second
 * job; another body or query with the key is a 422; a repeat while the first is still uploading is a 409.
 */
const LIMIT = 4096;

describe('Idempotency-Key on sync jobs', () => {
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    t = await createTestApp({ SYNC_BODY_LIMIT_BYTES: String(LIMIT) });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.sql('truncate org_person, org_role, org_unit, person cascade');
    await t.sql('delete from sync_job');
    await t.sql('delete from idempotency_key');
  });

  const admin = () => bearer(t.tokens.admin);
  const JSON_BODY = { people: [{ email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace' }] };
  const CSV_BODY = 'email,firstName,lastName\nada@example.com,Ada,Lovelace\n';

  const KINDS = [
    {
      kind: 'JSON',
      type: 'application/json',
      body: JSON.stringify(JSON_BODY),
      other: JSON.stringify({ people: [{ email: 'ada@example.com', firstName: 'Augusta', lastName: 'Lovelace' }] }),
    },
    { kind: 'CSV', type: 'text/csv', body: CSV_BODY, other: CSV_BODY.replace('Ada,', 'Augusta,') },
  ];

  const post = (body: string, type: string, key: string, query = '') =>
    t.http().post(`/api/v2/sync/jobs${query}`).set(admin()).set('Content-Type', type).set('Idempotency-Key', key).send(body);
  const jobs = async () => (await t.sql<{ n: number }>('select count(*)::int as n from sync_job'))[0].n;
  const keyRow = async (key: string) =>
    (await t.sql<Record<string, unknown>>('select state, status, headers, body from idempotency_key where key = ?', [key]))[0];

  // A job queued by a test runs on after its answer: each test ends when every job has, so that no job
  // holds its locks on the four tables when the next test empties them (a deadlock in CI, once).
  afterEach(() => noSyncJobUnsettled(t));

  const finished = (id: string) => syncJobSettled(t, id);

  describe.each(KINDS)('$kind', ({ type, body, other }) => {
    it('a repeat answers the first answer (202, body, Location) with Idempotent-Replayed and queues no second job', async () => {
      const first = await post(body, type, 'sync-key');
      expect(first.status).toBe(202);
      expect(first.body).toEqual({ id: UUID, status: 'queued' });
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      await finished(first.body.id as string);
      const again = await post(body, type, 'sync-key');
      expect(again.status).toBe(202);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.text).toBe(first.text);
      expect(again.headers['location']).toBe(`/api/v2/sync/jobs/${first.body.id}`);
      expect(await jobs()).toBe(1);
      expect(await t.sql('select email, first_name from person')).toEqual([{ email: 'ada@example.com', first_name: 'Ada' }]);
      expect(await keyRow('sync-key')).toEqual({
        state: 'done',
        status: 202,
        headers: { Location: `/api/v2/sync/jobs/${first.body.id}` },
        body: first.text,
      });
    });

    it('the same key with another body, query string or content type is a 422 and queues nothing', async () => {
      expect((await post(body, type, 'sync-key')).status).toBe(202);
      for (const res of [
        await post(other, type, 'sync-key'),
        await post(body, type, 'sync-key', '?dry_run=true'),
        await post(body, `${type}; charset=utf-8`, 'sync-key'),
      ]) {
        expect(res.status).toBe(422);
        expect(res.body).toEqual(problem(422, 'idempotency-key-reused'));
      }
      expect(await jobs()).toBe(1);
    });

    it('a repeat while the first is still uploading is a 409; the first then completes, and a repeat replays it', async () => {
      // The first request sends half its body and waits: it holds the key, its job not yet accepted.
      const half = Math.floor(body.length / 2);
      const first: ClientRequest = httpRequest({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/v2/sync/jobs',
        headers: { ...admin(), 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Idempotency-Key': 'slow-key' },
      });
      const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
        first.on('response', (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        });
        first.on('error', reject);
      });
      first.write(body.slice(0, half));
      for (let i = 0; i < 100 && (await keyRow('slow-key')) === undefined; i++) await sleep(20);
      expect(await keyRow('slow-key')).toEqual({ state: 'running', status: null, headers: null, body: null });

      const busy = await post(body, type, 'slow-key');
      expect(busy.status).toBe(409);
      expect(busy.body).toEqual(problem(409, 'idempotency-key-in-progress'));
      expect(busy.headers['retry-after']).toBe('1');
      expect(await jobs()).toBe(0);

      first.end(body.slice(half));
      const done = await answer;
      expect(done.status).toBe(202);
      const replay = await post(body, type, 'slow-key');
      expect(replay.status).toBe(202);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.text).toBe(done.text);
      expect(await jobs()).toBe(1);
    });
  });

  it('a refused first request (bad CSV header) frees the key: the corrected request with it runs', async () => {
    const bad = await post('mail,firstName\nada@example.com,Ada\n', 'text/csv', 'fix-key');
    expect(bad.status).toBe(400);
    expect(await keyRow('fix-key')).toBeUndefined();
    const fixed = await post(CSV_BODY, 'text/csv', 'fix-key');
    expect(fixed.status).toBe(202);
    expect(fixed.headers['idempotent-replayed']).toBeUndefined();
    expect(await jobs()).toBe(1);
  });

  it('a repeat larger than SYNC_BODY_LIMIT_BYTES is a 413, even after a finished first request', async () => {
    expect((await post(CSV_BODY, 'text/csv', 'big-key')).status).toBe(202);
    const res = await post(`${CSV_BODY}${'x'.repeat(LIMIT)}`, 'text/csv', 'big-key');
    expect(res.status).toBe(413);
    expect(res.body).toEqual(problem(413, 'payload-too-large'));
    expect(await jobs()).toBe(1);
    // A first request that large: 413 too, and the key is free again.
    expect((await post(`${CSV_BODY}${'x'.repeat(LIMIT)}`, 'text/csv', 'new-big-key')).status).toBe(413);
    expect(await keyRow('new-big-key')).toBeUndefined();
    expect(await jobs()).toBe(1);
  });
});
