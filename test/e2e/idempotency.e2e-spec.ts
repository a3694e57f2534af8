import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { requestFingerprint } from '../../src/common/idempotency/idempotency-key.js';
import { SiteRole } from '../../src/common/auth/site-roles.js';
import { bearer, createTestApp, problem, type TestApp } from '../support/test-app.js';
import { orgFactories, tableCounts, truncateOrgTables, type OrgFactories } from '../support/org-factories.js';

/**
 * Contract section 10.4: Idempotency-Key on every creating POST, scoped to the token. A repeat with
 * the same request answers the first answer again and writes nothing; the same key with another
 * request is 422; a repeat while the first runs is 409; parallel requests with one key write once.
 */

const PEOPLE = '/api/v2/data/people';
const STRONG_TAG = /^"[A-Za-z0-9_-]{22}"$/;

interface Creator {
  name: string;
  path: string;
  table: string;
  body(): Promise<Record<string, unknown>>;
}

describe('Idempotency-Key (contract 10.4)', () => {
  let t: TestApp;
  let f: OrgFactories;
  let token: { id: string; token: string };
  let auth: Record<string, string>;

  beforeAll(async () => {
    t = await createTestApp();
    f = orgFactories(t);
    token = await t.createToken(SiteRole.PowerUser, { name: 'idempotent client' });
    auth = bearer(token.token);
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await truncateOrgTables(t);
  });

  let n = 0;
  const CREATORS: Creator[] = [
    {
      name: 'person',
      path: PEOPLE,
      table: 'person',
      body: () => Promise.resolve({ email: `idem${++n}@example.com`, firstName: 'Ada', lastName: 'L' }),
    },
    { name: 'org-unit', path: '/v2/org-unit/create', table: 'org_unit', body: () => Promise.resolve({ name: `Unit ${++n}` }) },
    { name: 'org-role', path: '/v2/org-role/create', table: 'org_role', body: () => Promise.resolve({ name: `Role ${++n}` }) },
    {
      name: 'org-person',
      path: '/v2/org-person/create',
      table: 'org_person',
      body: async () => ({ person_id: await f.person(), org_unit_id: await f.unit() }),
    },
  ];

  const post = (path: string, body: unknown, key?: string, headers: Record<string, string> = auth) => {
    const req = t.http().post(path).set(headers);
    return (key === undefined ? req : req.set('Idempotency-Key', key)).send(body as object);
  };
  const count = async (table: string) => (await t.sql<{ n: number }>(`select count(*)::int as n from ${table}`))[0].n;
  const keyRow = async (key: string) =>
    (
      await t.sql<Record<string, unknown>>('select state, status, headers, body from idempotency_key where token_id = ? and key = ?', [
        token.id,
        key,
      ])
    )[0];

  it('purges expired keys (bounded, at the first claim of a minute)', async () => {
    for (let i = 0; i < 3; i++) {
      await t.sql(
        `insert into idempotency_key (token_id, key, fingerprint, claim_id, state, lease_until, expires_at, created_at)
         values (?, ?, repeat('0', 64), gen_random_uuid(), 'running', now() - interval '2 days', now() - interval '1 day', now() - interval '2 days')`,
        [token.id, `old-${i}`],
      );
    }
    const res = await post('/v2/org-unit/create', { name: 'Purger' }, 'purge-trigger');
    expect(res.status).toBe(201);
    expect(await t.sql('select key from idempotency_key where token_id = ? order by key', [token.id])).toEqual([{ key: 'purge-trigger' }]);
  });

  describe.each(CREATORS)('$name', (creator) => {
    it('a repeat answers the first answer again (status, body, Location, ETag) with Idempotent-Replayed and writes nothing', async () => {
      const body = await creator.body();
      const key = randomUUID();
      const first = await post(creator.path, body, key);
      expect(first.status).toBe(201);
      expect(first.headers['etag']).toMatch(STRONG_TAG);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      const rows = await count(creator.table);
      const again = await post(creator.path, body, key);
      expect(again.status).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
      expect(again.text).toBe(first.text);
      expect(again.headers['etag']).toBe(first.headers['etag']);
      expect(again.headers['location']).toBe(first.headers['location']);
      expect(again.headers['content-type']).toMatch(/^application\/json/);
      expect(await count(creator.table)).toBe(rows);
      expect(await keyRow(key)).toEqual({
        state: 'done',
        status: 201,
        headers:
          creator.name === 'person'
            ? { Location: first.headers['location'], ETag: first.headers['etag'] }
            : { ETag: first.headers['etag'] },
        body: first.text,
      });
    });

    it('the same key with a different body is a 422 and writes nothing', async () => {
      const key = randomUUID();
      expect((await post(creator.path, await creator.body(), key)).status).toBe(201);
      const other = await creator.body();
      const countsAfterFactories = await tableCounts(t);
      const res = await post(creator.path, other, key);
      expect(res.status).toBe(422);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toEqual(problem(422, 'idempotency-key-reused'));
      expect(await tableCounts(t)).toEqual(countsAfterFactories);
    });

    it('parallel requests with one key write exactly once; the others are 409 or replays', async () => {
      const body = await creator.body();
      const rows = await count(creator.table);
      const key = randomUUID();
      const answers = await Promise.all(Array.from({ length: 10 }, () => post(creator.path, body, key)));
      expect(await count(creator.table)).toBe(rows + 1);
      const fresh = answers.filter((a) => a.status === 201 && a.headers['idempotent-replayed'] === undefined);
      expect(fresh).toHaveLength(1);
      for (const a of answers) {
        if (a.status === 201) expect(a.body).toEqual(fresh[0].body);
        else {
          expect(a.status).toBe(409);
          expect(a.body).toEqual(problem(409, 'idempotency-key-in-progress'));
          expect(a.headers['retry-after']).toBe('1');
        }
      }
      const later = await post(creator.path, body, key);
      expect(later.status).toBe(201);
      expect(later.headers['idempotent-replayed']).toBe('true');
      expect(later.body).toEqual(fresh[0].body);
    });
  });

  it('scopes keys to the token: another token with the same key and body creates anew', async () => {
    const other = bearer((await t.createToken(SiteRole.PowerUser, { name: 'other client' })).token);
    const first = await post('/v2/org-role/create', { name: 'Shared' }, 'shared-key');
    const second = await post('/v2/org-role/create', { name: 'Shared' }, 'shared-key', other);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(second.body.org_role_id).not.toBe(first.body.org_role_id);
    expect(await count('org_role')).toBe(2);
  });

  it('the same key on another route is a different request (422)', async () => {
    expect((await post('/v2/org-role/create', { name: 'Same' }, 'route-key')).status).toBe(201);
    const res = await post('/v2/org-unit/create', { name: 'Same' }, 'route-key');
    expect(res.status).toBe(422);
    expect(await count('org_unit')).toBe(0);
  });

  it('a body that differs only in key order and white space is the same request', async () => {
    const first = await t
      .http()
      .post('/v2/org-unit/create')
      .set(auth)
      .set('Idempotency-Key', 'order')
      .set('Content-Type', 'application/json')
      .send('{"name":"X","code":"C1"}');
    const again = await t
      .http()
      .post('/v2/org-unit/create')
      .set(auth)
      .set('Idempotency-Key', 'order')
      .set('Content-Type', 'application/json')
      .send('{ "code": "C1",\n "name": "X" }');
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await count('org_unit')).toBe(1);
  });

  it('a failed first attempt frees the key: the corrected request with it runs (nothing was written)', async () => {
    const refused = await post(PEOPLE, { email: 'fix@example.com', firstName: 'Ada' }, 'fix-key');
    expect(refused.status).toBe(400);
    expect(await keyRow('fix-key')).toBeUndefined();
    const again = await post(PEOPLE, { email: 'fix@example.com', firstName: 'Ada' }, 'fix-key');
    expect(again.status).toBe(400);
    expect(again.headers['idempotent-replayed']).toBeUndefined();
    const fixed = await post(PEOPLE, { email: 'fix@example.com', firstName: 'Ada', lastName: 'L' }, 'fix-key');
    expect(fixed.status).toBe(201);
    expect(fixed.headers['idempotent-replayed']).toBeUndefined();
    const conflict = await post(PEOPLE, { email: 'fix@example.com', firstName: 'Ada', lastName: 'L' }, 'fix-key-2');
    expect(conflict.status).toBe(409);
    expect(await keyRow('fix-key-2')).toBeUndefined();
    expect(await count('person')).toBe(1);
  });

  it('a repeat while the first request is still running is a 409; once its lease is over, the same request runs', async () => {
    const body = { name: 'Slow' };
    const fingerprint = requestFingerprint('POST', '/v2/org-unit/create', body);
    await t.sql(
      `insert into idempotency_key (token_id, key, fingerprint, claim_id, state, lease_until, expires_at)
       values (?, 'running-key', ?, gen_random_uuid(), 'running', now() + interval '1 minute', now() + interval '1 day')`,
      [token.id, fingerprint],
    );
    const busy = await post('/v2/org-unit/create', body, 'running-key');
    expect(busy.status).toBe(409);
    expect(busy.body).toEqual(problem(409, 'idempotency-key-in-progress'));
    expect(await count('org_unit')).toBe(0);
    const other = await post('/v2/org-unit/create', { name: 'Other' }, 'running-key');
    expect(other.status).toBe(422);
    await t.sql(`update idempotency_key set lease_until = now() - interval '1 second' where key = 'running-key'`);
    const taken = await post('/v2/org-unit/create', body, 'running-key');
    expect(taken.status).toBe(201);
    expect(taken.headers['idempotent-replayed']).toBeUndefined();
    expect(await count('org_unit')).toBe(1);
    expect((await keyRow('running-key')).state).toBe('done');
  });

  it('after 24 hours a key is forgotten: the same key runs anew, even with another body', async () => {
    expect((await post('/v2/org-role/create', { name: 'Day one' }, 'daily')).status).toBe(201);
    await t.sql(`update idempotency_key set expires_at = now() - interval '1 second' where key = 'daily'`);
    const res = await post('/v2/org-role/create', { name: 'Day two' }, 'daily');
    expect(res.status).toBe(201);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    expect(await count('org_role')).toBe(2);
    const [row] = await t.sql<{ ttl: number }>(
      `select extract(epoch from expires_at - created_at)::int as ttl from idempotency_key where key = 'daily'`,
    );
    expect(row.ttl).toBe(24 * 60 * 60);
  });

  it.each([
    ['empty', ''],
    ['256 characters', 'k'.repeat(256)],
    ['not ASCII', 'clé'],
  ])('a key that is %s is a 400 naming the header, and writes nothing', async (_, key) => {
    const res = await post('/v2/org-unit/create', { name: 'Bad key' }, key);
    expect(res.status).toBe(400);
    expect(res.body).toEqual(problem(400, 'validation-error', { errors: [{ field: 'Idempotency-Key', message: expect.any(String) }] }));
    expect(await count('org_unit')).toBe(0);
  });

  it('accepts 255 printable ASCII characters, spaces and symbols included', async () => {
    const key = `a ~!"#$%&'()*+,-./:;<=>?@[\\]^_\`{|}`.padEnd(255, 'z');
    expect(key).toHaveLength(255);
    const res = await post('/v2/org-unit/create', { name: 'Long key' }, key);
    expect(res.status).toBe(201);
    const again: Response = await post('/v2/org-unit/create', { name: 'Long key' }, key);
    expect(again.headers['idempotent-replayed']).toBe('true');
  });

  it('a Viewer is refused before any key is claimed', async () => {
    const res = await post('/v2/org-unit/create', { name: 'No' }, 'viewer-key', bearer(t.tokens.viewer));
    expect(res.status).toBe(403);
    expect(await t.sql(`select 1 from idempotency_key where key = 'viewer-key'`)).toEqual([]);
  });

  it('routes that create nothing ignore the header', async () => {
    const unit = await f.unit();
    const res = await t.http().get(`/v2/org-unit/view/${unit}`).set(auth).set('Idempotency-Key', '');
    expect(res.status).toBe(200);
  });
});
