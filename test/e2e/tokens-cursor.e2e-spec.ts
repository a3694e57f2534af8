import type { Response } from 'supertest';
import { SiteRole } from '../../src/common/auth/site-roles.js';
import { bearer, createTestApp, problem, type TestApp } from '../support/test-app.js';

const TOKENS = '/api/v2/tokens';
const HEADERS = ['x-pagination-current-page', 'x-pagination-page-count', 'x-pagination-per-page', 'x-pagination-total-count'];

/** The `rel="next"` target of a Link header, or undefined. */
function nextOf(res: Response): string | undefined {
  return /<([^>]+)>; rel="next"/.exec(String(res.headers['link']))?.[1];
}
const headersOf = (res: Response) => Object.fromEntries(HEADERS.map((h) => [h, res.headers[h]]));
/** The Link header with the next link's cursor value replaced by C. */
const linkWithoutCursor = (res: Response) =>
  String(res.headers['link']).replace(/&cursor=[A-Za-z0-9_-]+>; rel="next"/, '&cursor=C>; rel="next"');

interface TokenRow {
  id: string;
  name: string;
  role: string;
  scopes: string[];
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
  created_by: string | null;
  project_id: string | null;
}
const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

/**
 * Issue 10, point 4, for the tokens list: `Link: rel=next` carries a keyset cursor (newest first, the
 * id as tiebreaker); the page it leads to is the page `page=N` answers, with every X-Pagination header.
 */
describe('Tokens list keyset cursors (Link rel=next)', () => {
  let t: TestApp;

  /** Every token `roles` may see, as the list answers them, in the list's order (from the database). */
  async function expectedTokens(roles: SiteRole[]) {
    const rows = await t.sql<TokenRow>(
      `select id, name, role, scopes, created_at, expires_at, last_used_at, revoked_at, created_by, project_id
         from api_token where role = any(?::text[]) order by created_at desc, id asc`,
      [`{${roles.map((role) => `"${role}"`).join(',')}}`],
    );
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      role: r.role,
      scopes: r.scopes,
      createdAt: iso(r.created_at),
      expiresAt: iso(r.expires_at),
      lastUsedAt: iso(r.last_used_at),
      revokedAt: iso(r.revoked_at),
      createdBy: r.created_by,
      projectId: r.project_id,
    }));
  }

  beforeAll(async () => {
    t = await createTestApp();
    for (let i = 1; i <= 6; i++) await t.createToken(i % 3 === 0 ? SiteRole.OpseraAdministrator : SiteRole.Viewer, { name: `t${i}` });
    // Ties on created_at (the id decides), one of them revoked.
    await t.sql(
      "update api_token set created_at = '2026-01-02T03:04:05.678Z', revoked_at = case when name = 't2' then now() else null end where name in ('t1', 't2', 't4', 't5')",
    );
    // Each acting token's first use writes its lastUsedAt; make it happen before the pages are compared.
    for (const token of [t.tokens.admin, t.tokens.opseraAdmin]) expect((await t.http().get(TOKENS).set(bearer(token))).status).toBe(200);
  });
  afterAll(() => t.close());

  it.each([
    ['an Administrator (Opsera Administrator tokens hidden)', 'admin', [SiteRole.Administrator, SiteRole.PowerUser, SiteRole.Viewer]],
    ['an Opsera Administrator', 'opseraAdmin', [SiteRole.OpseraAdministrator, SiteRole.Administrator, SiteRole.PowerUser, SiteRole.Viewer]],
  ] as const)('following next as %s gives every page exactly as page=N does', async (_label, who, roles) => {
    const auth = bearer(t.tokens[who]);
    const expected = await expectedTokens([...roles]);
    const pages = Math.ceil(expected.length / 2);
    expect(pages).toBeGreaterThan(2);
    let res = await t.http().get(`${TOKENS}?per-page=2`).set(auth);
    for (let n = 1; n <= pages; n++) {
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.body).toEqual({ count: expected.length, data: expected.slice(2 * (n - 1), 2 * n) });
      expect(headersOf(res)).toEqual({
        'x-pagination-current-page': String(n),
        'x-pagination-page-count': String(pages),
        'x-pagination-per-page': '2',
        'x-pagination-total-count': String(expected.length),
      });
      const byNumber = await t.http().get(`${TOKENS}?per-page=2&page=${n}`).set(auth);
      expect(res.body).toEqual(byNumber.body);
      expect(headersOf(res)).toEqual(headersOf(byNumber));
      expect(linkWithoutCursor(res)).toBe(linkWithoutCursor(byNumber));
      const next = nextOf(res);
      if (n === pages) {
        expect(next).toBeUndefined();
        break;
      }
      expect(next).toMatch(new RegExp(`^/api/v2/tokens\\?per-page=2&page=${n + 1}&cursor=[A-Za-z0-9_-]+$`));
      res = await t.http().get(next!).set(auth);
    }
  });

  it('keeps first, prev and last by page number, without the cursor', async () => {
    const auth = bearer(t.tokens.admin);
    const first = await t.http().get(`${TOKENS}?per-page=2`).set(auth);
    const second = await t.http().get(nextOf(first)!).set(auth);
    const pages = second.headers['x-pagination-page-count'];
    expect(linkWithoutCursor(second)).toBe(
      `<${TOKENS}?per-page=2&page=1>; rel="first", <${TOKENS}?per-page=2&page=1>; rel="prev", ` +
        `<${TOKENS}?per-page=2&page=3&cursor=C>; rel="next", <${TOKENS}?per-page=2&page=${pages}>; rel="last"`,
    );
  });

  it('reads the tokens after the cursor (a keyset): a token created since does not shift the next page', async () => {
    const auth = bearer(t.tokens.admin);
    const first = await t.http().get(`${TOKENS}?per-page=2`).set(auth);
    const before = await t.http().get(`${TOKENS}?per-page=2&page=2`).set(auth);
    const created = await t.http().post(TOKENS).set(auth).send({ name: 'newest', role: SiteRole.Viewer });
    expect(created.status).toBe(201);
    const keyed = await t.http().get(nextOf(first)!).set(auth);
    const shifted = await t.http().get(`${TOKENS}?per-page=2&page=2`).set(auth);
    expect(keyed.status).toBe(200);
    expect(keyed.body.data).toEqual(before.body.data);
    expect(shifted.body.data).not.toEqual(before.body.data);
    expect(keyed.body.count).toBe(before.body.count + 1);
    expect(headersOf(keyed)).toEqual(headersOf(shifted));
    await t.sql("delete from api_token where name = 'newest'");
  });

  it("refuses a tampered cursor, another per-page's, another role's, and a page that contradicts it (400 naming the field)", async () => {
    const admin = bearer(t.tokens.admin);
    const first = await t.http().get(`${TOKENS}?per-page=1`).set(admin);
    const cursor = new URLSearchParams(nextOf(first)!.split('?')[1]).get('cursor')!;
    const cases: [string, Record<string, string>, string][] = [
      [`${TOKENS}?per-page=1&cursor=not-a-cursor`, admin, 'cursor'],
      [`${TOKENS}?per-page=1&cursor=${Buffer.from('[2,"x","y"]').toString('base64url')}`, admin, 'cursor'],
      [`${TOKENS}?per-page=2&cursor=${cursor}`, admin, 'cursor'],
      [`${TOKENS}?per-page=1&cursor=${cursor}`, bearer(t.tokens.opseraAdmin), 'cursor'],
      [`${TOKENS}?per-page=1&page=5&cursor=${cursor}`, admin, 'page'],
      [`${TOKENS}?per-page=1&cursor=${'A'.repeat(201)}`, admin, 'cursor'],
    ];
    for (const [url, auth, field] of cases) {
      const res = await t.http().get(url).set(auth);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(problem(400, 'validation-error', { errors: [{ field, message: expect.any(String) }] }));
    }
    const ok = await t.http().get(`${TOKENS}?per-page=1&page=2&cursor=${cursor}`).set(admin);
    expect(ok.status).toBe(200);
    expect(ok.headers['x-pagination-current-page']).toBe('2');
  });
});
