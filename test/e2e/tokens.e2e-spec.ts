import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SiteRole } from '../../src/common/auth/site-roles.js';
import { bearer, createTestApp, ISO, problem, UUID, type TestApp } from '../support/test-app.js';
import { expectCleanProblem } from '../support/leaks.js';

const TOKENS = '/api/v2/tokens';
const PEOPLE = '/api/v2/data/people';
const TOKEN = expect.stringMatching(/^ogm_[0-9A-Za-z]{36}$/);
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const DAY = 86_400_000;
/** An ISO time about `ms` from now (within a minute). */
const inAbout = (ms: number) => ({
  asymmetricMatch: (value: unknown) => typeof value === 'string' && Math.abs(new Date(value).getTime() - Date.now() - ms) < 60_000,
  toString: () => `about ${ms} ms from now`,
});
/** Set in beforeAll: the id of the Administrator token the tests act with, the createdBy of what it creates. */
let adminId = '';

function tokenBody(overrides: Record<string, unknown> = {}) {
  return {
    id: UUID,
    name: 'hr-sync',
    role: SiteRole.PowerUser,
    scopes: ['api'],
    createdAt: ISO,
    expiresAt: inAbout(90 * DAY),
    lastUsedAt: null,
    revokedAt: null,
    createdBy: adminId,
    projectId: null,
    ...overrides,
  };
}

describe('API tokens (/api/v2/tokens)', () => {
  let t: TestApp;
  let auth: Record<string, string>;

  beforeAll(async () => {
    t = await createTestApp();
    auth = bearer(t.tokens.admin);
    [{ id: adminId }] = await t.sql<{ id: string }>('select id from api_token where token_hash = ?', [sha256(t.tokens.admin)]);
  });
  afterAll(() => t.close());

  const create = (body: Record<string, unknown>) => t.http().post(TOKENS).set(auth).send(body);

  describe('POST /api/v2/tokens', () => {
    it('creates a token: 201, Location, no-store, the secret once and every field', async () => {
      const res = await create({ name: 'hr-sync', role: SiteRole.PowerUser });
      expect(res.status).toBe(201);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toEqual({ ...tokenBody(), token: TOKEN });
      expect(res.headers['location']).toBe(`${TOKENS}/${res.body.id}`);
    });

    it('creates a scim token bound to a project (contract section 7): projectId in the answer, the detail and the list', async () => {
      const project = '7D3C8A9E1B2F4C5D8E6F0A1B2C3D4E5F';
      const res = await create({ name: 'entra', role: SiteRole.PowerUser, scopes: ['scim'], projectId: project });
      expect(res.status).toBe(201);
      const expected = tokenBody({ name: 'entra', scopes: ['scim'], projectId: '7d3c8a9e-1b2f-4c5d-8e6f-0a1b2c3d4e5f' });
      expect(res.body).toEqual({ ...expected, token: TOKEN });
      expect((await t.http().get(`${TOKENS}/${res.body.id}`).set(auth)).body).toEqual(expected);
      const listed = await t.http().get(`${TOKENS}?per-page=1000`).set(auth);
      expect(listed.body.data).toContainEqual({ ...expected, id: res.body.id });
      expect(await t.sql('select scopes, project_id from api_token where id = ?', [res.body.id])).toEqual([
        { scopes: ['scim'], project_id: '7d3c8a9e-1b2f-4c5d-8e6f-0a1b2c3d4e5f' },
      ]);
      const both = await create({ name: 'both', role: SiteRole.Viewer, scopes: ['api', 'scim'], projectId: null });
      expect(both.body).toEqual({ ...tokenBody({ name: 'both', role: SiteRole.Viewer, scopes: ['api', 'scim'] }), token: TOKEN });
    });

    it('refuses a projectId that is not a uuid and an unknown scope with a 400 naming the field, creating nothing', async () => {
      const before = await t.sql('select count(*)::int as n from api_token');
      for (const [body, field] of [
        [{ name: 'x', role: SiteRole.Viewer, scopes: ['scim'], projectId: 'acme' }, 'projectId'],
        [{ name: 'x', role: SiteRole.Viewer, scopes: ['scim'], projectId: 42 }, 'projectId'],
        [{ name: 'x', role: SiteRole.Viewer, scopes: ['scim', 'admin'] }, 'scopes'],
      ] as const) {
        const res = await create(body);
        expect(res.status).toBe(400);
        expect([...new Set(res.body.errors.map((e: { field: string }) => e.field))]).toEqual([field]);
      }
      expect(await t.sql('select count(*)::int as n from api_token')).toEqual(before);
    });

    it('a scim-only token opens no /api/v2 or /v2 route (403 naming the scope api)', async () => {
      const { body } = await create({ name: 'okta', role: SiteRole.Administrator, scopes: ['scim'] });
      for (const res of [
        await t.http().get(PEOPLE).set(bearer(body.token)),
        await t.http().post('/v2/org-unit/index').set(bearer(body.token)).send({}),
        await t.http().get(TOKENS).set(bearer(body.token)),
      ]) {
        expect(res.status).toBe(403);
        expect(res.body.detail).toBe('The token lacks the required scope: api.');
      }
    });

    it('stores only the SHA-256 hash of the secret, never the secret itself', async () => {
      const { body } = await create({ name: 'hr-sync', role: SiteRole.PowerUser });
      const rows = await t.sql<{ token_hash: string; whole: string }>(
        'select token_hash, row_to_json(t)::text as whole from api_token t where id = ?',
        [body.id],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].token_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(rows[0].token_hash).toBe(sha256(body.token));
      const secret = body.token as string;
      expect(rows[0].whole).not.toContain(secret);
      expect(rows[0].whole).not.toContain(secret.slice(4)); // nor the random part without the prefix
    });

    it('gives a token that works at once with its role', async () => {
      const { body } = await create({ name: 'hr-sync', role: SiteRole.Viewer });
      expect((await t.http().get(PEOPLE).set(bearer(body.token))).status).toBe(200);
      expect((await t.http().post(PEOPLE).set(bearer(body.token)).send({})).status).toBe(403);
    });

    it('accepts expiresIn and expiresAt', async () => {
      const before = Date.now();
      const relative = await create({ name: 'hr-sync', role: SiteRole.Viewer, expiresIn: '30d' });
      expect(relative.status).toBe(201);
      const expires = new Date(relative.body.expiresAt).getTime();
      expect(expires - before).toBeGreaterThanOrEqual(30 * 86_400_000 - 1000);
      expect(expires - Date.now()).toBeLessThanOrEqual(30 * 86_400_000 + 1000);

      const at = new Date(Date.now() + 200 * DAY);
      at.setUTCMilliseconds(0);
      const absolute = await create({ name: 'hr-sync', role: SiteRole.Viewer, expiresAt: at.toISOString().replace('.000Z', 'Z') });
      expect(absolute.status).toBe(201);
      expect(absolute.body).toEqual({ ...tokenBody({ role: SiteRole.Viewer, expiresAt: at.toISOString() }), token: TOKEN });
    });

    it.each([
      ['an unknown role', { role: 'Superuser' }, 'role'],
      ['a missing role', { role: undefined }, 'role'],
      ['a role in another spelling', { role: 'power-user' }, 'role'],
      ['a missing name', { name: undefined }, 'name'],
      ['a blank name', { name: '   ' }, 'name'],
      ['a name over 100 characters', { name: 'x'.repeat(101) }, 'name'],
      ['a malformed expiresIn', { expiresIn: '30 days' }, 'expiresIn'],
      ['a malformed expiresAt', { expiresAt: 'next tuesday' }, 'expiresAt'],
      ['an impossible expiresAt', { expiresAt: '2099-02-31T00:00:00Z' }, 'expiresAt'],
      ['an expiresAt in the past', { expiresAt: '2020-01-01T00:00:00Z' }, 'expiresAt'],
      ['an expiresAt past the maximum lifetime (365d)', { expiresAt: new Date(Date.now() + 366 * DAY).toISOString() }, 'expiresAt'],
      ['an expiresAt far in the future', { expiresAt: '2099-01-01T00:00:00Z' }, 'expiresAt'],
      ['an expiresIn past the maximum lifetime (365d)', { expiresIn: '366d' }, 'expiresIn'],
      ['an expiresIn of 53 weeks', { expiresIn: '53w' }, 'expiresIn'],
      ['both expiresAt and expiresIn', { expiresAt: '2099-01-01T00:00:00Z', expiresIn: '30d' }, 'expiresIn'],
      ['an unknown scope', { scopes: ['root'] }, 'scopes'],
      ['empty scopes', { scopes: [] }, 'scopes'],
      ['an escape sequence in the name', { name: '\r\u001b[2Kinvisible' }, 'name'],
      ['a line break in the name', { name: 'two\nlines' }, 'name'],
      ['a DEL in the name', { name: 'x\u007f' }, 'name'],
      ['a C1 control (NEL) in the name', { name: 'x\u0085y' }, 'name'],
      ['a right-to-left override in the name', { name: 'cod\u202egnp.exe' }, 'name'],
      ['a bidi isolate in the name', { name: '\u2066admin\u2069' }, 'name'],
      ['an unknown field', { colour: 'red' }, 'colour'],
      ['a client-chosen secret', { token: 'ogm_mine' }, 'token'],
      ['a server-managed field', { revokedAt: null }, 'revokedAt'],
    ])('answers 400 naming the field for %s, creating nothing', async (_label, override, field) => {
      const before = await t.sql<{ n: number }>('select count(*)::int as n from api_token');
      const res = await create({ name: 'hr-sync', role: SiteRole.PowerUser, ...override });
      expectCleanProblem(res, 400);
      expect(res.body).toEqual(
        problem(400, 'validation-error', { errors: expect.arrayContaining([{ field, message: expect.any(String) }]) }),
      );
      expect(await t.sql('select count(*)::int as n from api_token')).toEqual(before);
    });
  });

  describe('GET /api/v2/tokens', () => {
    it('lists tokens newest first with pagination headers and never a secret or hash', async () => {
      const created = await create({ name: 'hr-sync', role: SiteRole.PowerUser });
      const res = await t.http().get(`${TOKENS}?per-page=1000`).set(auth);
      expect(res.status).toBe(200);
      const rows = await t.sql<{ n: number }>('select count(*)::int as n from api_token');
      // An Administrator sees every token but the Opsera Administrator ones.
      const opsera = await t.sql<{ n: number }>("select count(*)::int as n from api_token where role = 'Opsera Administrator'");
      expect(opsera[0].n).toBeGreaterThan(0);
      expect(res.body.count).toBe(rows[0].n - opsera[0].n);
      expect(res.headers['x-pagination-total-count']).toBe(String(rows[0].n - opsera[0].n));
      expect(res.body.data[0]).toEqual(tokenBody({ id: created.body.id }));
      for (const item of res.body.data) expect(Object.keys(item).sort()).toEqual(Object.keys(tokenBody()).sort());
      const hashes = await t.sql<{ token_hash: string }>('select token_hash from api_token');
      const secrets = [...Object.values(t.tokens), created.body.token as string, ...hashes.map((h) => h.token_hash)];
      expect(secrets.filter((s) => res.text.includes(s))).toEqual([]);
      expect(res.text).not.toMatch(/ogm_[0-9A-Za-z]{36}/);
    });

    it('pages with per-page and refuses per-page over 1000', async () => {
      const res = await t.http().get(`${TOKENS}?per-page=1&page=2`).set(auth);
      expect(res.status).toBe(200);
      expect(res.body.data).toHaveLength(1);
      expect(res.headers['x-pagination-current-page']).toBe('2');
      const bad = await t.http().get(`${TOKENS}?per-page=1001`).set(auth);
      expect(bad.status).toBe(400);
      expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'per-page' })]);
    });
  });

  describe('GET /api/v2/tokens/{id}', () => {
    it('answers one token without its secret, also for the 32-hex form of the id', async () => {
      const { body } = await create({ name: 'hr-sync', role: SiteRole.PowerUser });
      const res = await t.http().get(`${TOKENS}/${body.id}`).set(auth);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(tokenBody({ id: body.id }));
      const hex = await t
        .http()
        .get(`${TOKENS}/${(body.id as string).replaceAll('-', '').toUpperCase()}`)
        .set(auth);
      expect(hex.status).toBe(200);
      expect(hex.body.id).toBe(body.id);
    });

    it('answers 404 for an unknown id', async () => {
      const res = await t.http().get(`${TOKENS}/0b9f5f8e-1f5e-4c7a-9a61-1ed3c6e1d8a2`).set(auth);
      expectCleanProblem(res, 404);
      expect(res.body).toEqual(problem(404, 'not-found', { instance: `${TOKENS}/0b9f5f8e-1f5e-4c7a-9a61-1ed3c6e1d8a2` }));
    });

    it.each(['not-a-uuid', '1234', "1' or '1'='1"])('answers 400 naming id for the malformed id %p', async (id) => {
      const res = await t
        .http()
        .get(`${TOKENS}/${encodeURIComponent(id)}`)
        .set(auth);
      expectCleanProblem(res, 400);
      expect(res.body).toEqual(problem(400, 'validation-error', { errors: [{ field: 'id', message: 'must be a UUID' }] }));
    });
  });

  describe('DELETE /api/v2/tokens/{id}', () => {
    it('revokes a token: 204, revokedAt set, and the very next request with it is 401', async () => {
      const { body } = await create({ name: 'hr-sync', role: SiteRole.PowerUser });
      expect((await t.http().get(PEOPLE).set(bearer(body.token))).status).toBe(200);
      const res = await t.http().delete(`${TOKENS}/${body.id}`).set(auth);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      const next = await t.http().get(PEOPLE).set(bearer(body.token));
      expectCleanProblem(next, 401);
      expect(next.headers['www-authenticate']).toBe('Bearer realm="organigram", error="invalid_token"');
      const view = await t.http().get(`${TOKENS}/${body.id}`).set(auth);
      expect(view.body).toEqual(tokenBody({ id: body.id, revokedAt: ISO, lastUsedAt: ISO }));
    });

    it('is idempotent and keeps the first revocation time', async () => {
      const { body } = await create({ name: 'hr-sync', role: SiteRole.PowerUser });
      await t.http().delete(`${TOKENS}/${body.id}`).set(auth).expect(204);
      const revokedAt = () => t.sql('select revoked_at::text as at from api_token where id = ?', [body.id]);
      const [first] = await revokedAt();
      expect((await t.http().delete(`${TOKENS}/${body.id}`).set(auth)).status).toBe(204);
      expect(await revokedAt()).toEqual([first]);
    });

    it('answers 404 for an unknown id and 400 for a malformed one', async () => {
      expect((await t.http().delete(`${TOKENS}/0b9f5f8e-1f5e-4c7a-9a61-1ed3c6e1d8a2`).set(auth)).status).toBe(404);
      const bad = await t.http().delete(`${TOKENS}/nope`).set(auth);
      expect(bad.status).toBe(400);
      expect(bad.body.errors).toEqual([{ field: 'id', message: 'must be a UUID' }]);
    });

    it('lets a token revoke itself, after which it is refused', async () => {
      const { id, token } = await t.createToken(SiteRole.Administrator);
      expect((await t.http().delete(`${TOKENS}/${id}`).set(bearer(token))).status).toBe(204);
      expect((await t.http().get(TOKENS).set(bearer(token))).status).toBe(401);
    });
  });

  describe('expiry', () => {
    it('refuses a token whose expiry has passed with 401 invalid_token', async () => {
      const { id, token } = await t.createToken(SiteRole.Administrator, { expiresAt: new Date(Date.now() + 60_000) });
      expect((await t.http().get(PEOPLE).set(bearer(token))).status).toBe(200);
      await t.sql("update api_token set expires_at = now() - interval '1 second' where id = ?", [id]);
      // A change made outside the application (SQL) reaches its token cache by notification: the
      // contract allows up to 1 s (token-cache.e2e measures that bound); the refusal itself is checked here.
      const deadline = Date.now() + 1_000;
      let res = await t.http().get(PEOPLE).set(bearer(token));
      while (res.status === 200 && Date.now() < deadline) {
        await sleep(25);
        res = await t.http().get(PEOPLE).set(bearer(token));
      }
      expectCleanProblem(res, 401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="organigram", error="invalid_token"');
    });

    it('refuses a token created with expiresIn once that time has passed', async () => {
      const { body } = await create({ name: 'short', role: SiteRole.Viewer, expiresIn: '1s' });
      expect(body.expiresAt).toEqual(ISO);
      const wait = new Date(body.expiresAt as string).getTime() - Date.now() + 50;
      await sleep(Math.max(wait, 0));
      expect((await t.http().get(PEOPLE).set(bearer(body.token))).status).toBe(401);
    });
  });

  describe('lastUsedAt', () => {
    it('is written on first use and not rewritten by the requests that follow', async () => {
      const { body } = await create({ name: 'hr-sync', role: SiteRole.Viewer });
      const lastUsed = () =>
        t.sql<{ at: string | null; ms: number | null }>(
          'select last_used_at::text as at, extract(epoch from last_used_at)::float8 * 1000 as ms from api_token where id = ?',
          [body.id],
        );
      expect(await lastUsed()).toEqual([{ at: null, ms: null }]);
      await t.http().get(PEOPLE).set(bearer(body.token)).expect(200);
      const [first] = await lastUsed();
      expect(first.at).not.toBeNull();
      expect(Math.abs(Date.now() - first.ms!)).toBeLessThan(60_000);
      for (let i = 0; i < 5; i++) await t.http().get(PEOPLE).set(bearer(body.token)).expect(200);
      await sleep(20);
      await t.http().get(PEOPLE).set(bearer(body.token)).expect(200);
      expect(await lastUsed()).toEqual([first]);
      const view = await t.http().get(`${TOKENS}/${body.id}`).set(auth);
      expect(Math.abs(new Date(view.body.lastUsedAt as string).getTime() - first.ms!)).toBeLessThan(1);
    });

    it('is not written by a request with a revoked token', async () => {
      const { id, token } = await t.createToken(SiteRole.Viewer);
      await t.http().delete(`${TOKENS}/${id}`).set(auth).expect(204);
      await t.http().get(PEOPLE).set(bearer(token)).expect(401);
      expect(await t.sql('select last_used_at from api_token where id = ?', [id])).toEqual([{ last_used_at: null }]);
    });
  });

  describe('lifetime (TOKEN_DEFAULT_TTL 90d, TOKEN_MAX_TTL 365d)', () => {
    it('gives a token created without an expiry the default lifetime, stored as such', async () => {
      const res = await create({ name: 'no-expiry', role: SiteRole.Viewer });
      expect(res.status).toBe(201);
      expect(res.body.expiresAt).toEqual(inAbout(90 * DAY));
      const [row] = await t.sql<{ ms: number }>('select extract(epoch from expires_at)::float8 * 1000 as ms from api_token where id = ?', [
        res.body.id,
      ]);
      expect(row.ms).toBe(new Date(res.body.expiresAt as string).getTime());
    });

    it('accepts exactly the maximum, as expiresIn and as expiresAt', async () => {
      const relative = await create({ name: 'max', role: SiteRole.Viewer, expiresIn: '365d' });
      expect(relative.status).toBe(201);
      expect(relative.body.expiresAt).toEqual(inAbout(365 * DAY));
      const absolute = await create({
        name: 'max',
        role: SiteRole.Viewer,
        expiresAt: new Date(Date.now() + 365 * DAY - 60_000).toISOString(),
      });
      expect(absolute.status).toBe(201);
    });

    it('names the maximum in the 400', async () => {
      const res = await create({ name: 'long', role: SiteRole.Viewer, expiresIn: '400d' });
      expectCleanProblem(res, 400);
      expect(res.body.errors).toEqual([{ field: 'expiresIn', message: 'must be at most 365d from now (TOKEN_MAX_TTL)' }]);
    });
  });

  describe('createdBy and cascade revocation', () => {
    /** Creates a token through the API with `parent`'s secret; returns its id and secret. */
    async function child(parent: string, role: SiteRole, name: string): Promise<{ id: string; token: string }> {
      const res = await t.http().post(TOKENS).set(bearer(parent)).send({ name, role });
      expect([name, res.status]).toEqual([name, 201]);
      return { id: res.body.id as string, token: res.body.token as string };
    }
    const works = async (token: string) => (await t.http().get(PEOPLE).set(bearer(token))).status;

    it('records the creating token in createdBy, shown in detail and list, and null for tokens made outside the API', async () => {
      const b = await child(t.tokens.admin, SiteRole.Administrator, 'b');
      const c = await child(b.token, SiteRole.Viewer, 'c');
      const detail = await t.http().get(`${TOKENS}/${c.id}`).set(auth);
      expect(detail.status).toBe(200);
      expect(detail.body).toEqual(tokenBody({ id: c.id, name: 'c', role: SiteRole.Viewer, createdBy: b.id }));
      const list = await t.http().get(`${TOKENS}?per-page=1000`).set(auth);
      const byId = new Map((list.body.data as { id: string; createdBy: string | null }[]).map((x) => [x.id, x.createdBy]));
      expect([byId.get(b.id), byId.get(c.id), byId.get(adminId)]).toEqual([adminId, b.id, null]);
      expect(await t.sql('select created_by from api_token where id = ?', [c.id])).toEqual([{ created_by: b.id }]);
    });

    it('revokes with ?cascade=true every token the revoked one created, transitively, in one transaction', async () => {
      const b = await child(t.tokens.admin, SiteRole.Administrator, 'b');
      const c = await child(b.token, SiteRole.Viewer, 'c');
      const d = await child(b.token, SiteRole.Administrator, 'd');
      const e = await child(d.token, SiteRole.PowerUser, 'e');
      const sibling = await child(t.tokens.admin, SiteRole.Viewer, 'sibling');
      const res = await t.http().delete(`${TOKENS}/${b.id}?cascade=true`).set(auth);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      for (const token of [b, c, d, e]) expect(await works(token.token)).toBe(401);
      expect(await works(sibling.token)).toBe(200);
      expect(await works(t.tokens.admin)).toBe(200);
      // One statement: one transaction time for the whole tree.
      const rows = await t.sql<{ at: string }>('select distinct revoked_at::text as at from api_token where id in (?, ?, ?, ?)', [
        b.id,
        c.id,
        d.id,
        e.id,
      ]);
      expect(rows).toHaveLength(1);
      expect(await t.sql('select revoked_at from api_token where id = ?', [sibling.id])).toEqual([{ revoked_at: null }]);
    });

    it('reaches through a token revoked earlier without cascade', async () => {
      const b = await child(t.tokens.admin, SiteRole.Administrator, 'b');
      const c = await child(b.token, SiteRole.Administrator, 'c');
      const d = await child(c.token, SiteRole.Viewer, 'd');
      await t.http().delete(`${TOKENS}/${c.id}`).set(auth).expect(204);
      expect(await works(d.token)).toBe(200);
      await t.http().delete(`${TOKENS}/${b.id}?cascade=1`).set(auth).expect(204);
      expect(await works(d.token)).toBe(401);
    });

    it.each(['false', '0', undefined])('revokes only the token itself with cascade=%p', async (cascade) => {
      const b = await child(t.tokens.admin, SiteRole.Administrator, 'b');
      const c = await child(b.token, SiteRole.Viewer, 'c');
      const query = cascade === undefined ? '' : `?cascade=${cascade}`;
      await t.http().delete(`${TOKENS}/${b.id}${query}`).set(auth).expect(204);
      expect(await works(b.token)).toBe(401);
      expect(await works(c.token)).toBe(200);
    });

    it('answers 400 naming cascade for a value other than true/false/1/0, revoking nothing', async () => {
      const b = await child(t.tokens.admin, SiteRole.Administrator, 'b');
      const res = await t.http().delete(`${TOKENS}/${b.id}?cascade=yes`).set(auth);
      expectCleanProblem(res, 400);
      expect(res.body).toEqual(
        problem(400, 'validation-error', { errors: [{ field: 'cascade', message: 'must be true, false, 1 or 0' }] }),
      );
      expect(await works(b.token)).toBe(200);
    });
  });

  describe('an Administrator is blind to Opsera Administrator tokens', () => {
    let opsera: { id: string; token: string };
    beforeAll(async () => {
      opsera = await t.createToken(SiteRole.OpseraAdministrator, { name: 'opsera-only' });
    });

    it('leaves them out of its list, count and pagination headers', async () => {
      const res = await t.http().get(`${TOKENS}?per-page=1000`).set(auth);
      expect(res.status).toBe(200);
      const roles = new Set((res.body.data as { role: string }[]).map((x) => x.role));
      expect(roles.has(SiteRole.OpseraAdministrator)).toBe(false);
      expect((res.body.data as { id: string }[]).some((x) => x.id === opsera.id)).toBe(false);
      const [{ n }] = await t.sql<{ n: number }>("select count(*)::int as n from api_token where role <> 'Opsera Administrator'");
      expect([res.body.count, res.headers['x-pagination-total-count']]).toEqual([n, String(n)]);
    });

    it('answers 404 for their detail and revocation, like an unknown id, and revokes nothing', async () => {
      const view = await t.http().get(`${TOKENS}/${opsera.id}`).set(auth);
      expectCleanProblem(view, 404);
      expect(view.body).toEqual(problem(404, 'not-found', { instance: `${TOKENS}/${opsera.id}` }));
      expect(view.body.detail).toBe(`No token with id ${opsera.id}.`);
      for (const query of ['', '?cascade=true']) {
        const revoke = await t.http().delete(`${TOKENS}/${opsera.id}${query}`).set(auth);
        expectCleanProblem(revoke, 404);
        expect(revoke.body.detail).toBe(`No token with id ${opsera.id}.`);
      }
      expect(await t.sql('select revoked_at from api_token where id = ?', [opsera.id])).toEqual([{ revoked_at: null }]);
      expect((await t.http().get(PEOPLE).set(bearer(opsera.token))).status).toBe(200);
    });

    it('lets an Opsera Administrator see and manage them', async () => {
      const as = bearer(t.tokens.opseraAdmin);
      const list = await t.http().get(`${TOKENS}?per-page=1000`).set(as);
      const [{ n }] = await t.sql<{ n: number }>('select count(*)::int as n from api_token');
      expect(list.body.count).toBe(n);
      expect((list.body.data as { id: string }[]).some((x) => x.id === opsera.id)).toBe(true);
      expect((await t.http().get(`${TOKENS}/${opsera.id}`).set(as)).status).toBe(200);
      expect((await t.http().delete(`${TOKENS}/${opsera.id}`).set(as)).status).toBe(204);
    });
  });
});

/** Its own app: createTestApp empties the worker's token table, so it runs after the tests above. */
describe('API tokens with TOKEN_DEFAULT_TTL=1d and TOKEN_MAX_TTL=7d', () => {
  let other: TestApp;
  beforeAll(async () => {
    other = await createTestApp({ TOKEN_DEFAULT_TTL: '1d', TOKEN_MAX_TTL: '7d' });
  });
  afterAll(() => other.close());

  it('follows TOKEN_DEFAULT_TTL and TOKEN_MAX_TTL', async () => {
    const as = bearer(other.tokens.admin);
    const byDefault = await other.http().post(TOKENS).set(as).send({ name: 'short', role: SiteRole.Viewer });
    expect(byDefault.status).toBe(201);
    expect(byDefault.body.expiresAt).toEqual(inAbout(DAY));
    const tooLong = await other.http().post(TOKENS).set(as).send({ name: 'long', role: SiteRole.Viewer, expiresIn: '8d' });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.errors).toEqual([{ field: 'expiresIn', message: 'must be at most 1w from now (TOKEN_MAX_TTL)' }]);
  });
});
