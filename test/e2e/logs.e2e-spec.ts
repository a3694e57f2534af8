import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { SiteRole } from '../../src/common/auth/site-roles.js';
import { bearer, createTestApp, type TestApp } from '../support/test-app.js';

const PEOPLE = '/api/v2/data/people';
const TOKENS = '/api/v2/tokens';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Collects every JSON line the app logs (pino writes whole lines to its destination). */
class LogCapture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
  lines(): Record<string, unknown>[] {
    return this.text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }
  /** The request line of the request with this id (written once the response is sent). */
  async requestLine(requestId: string): Promise<Record<string, unknown>> {
    for (let i = 0; i < 50; i++) {
      const line = this.lines().find((l) => l.msg === 'request completed' && l.reqId === requestId);
      if (line) return line;
      await sleep(10);
    }
    throw new Error(`no request line for ${requestId}`);
  }
  events(event: string): Record<string, unknown>[] {
    return this.lines().filter((l) => l.event === event);
  }
}

/** Contract section 7 and issue 8: request lines name the acting token, token events are logged, secrets never are. */
describe.each([
  ['default', {}],
  ['AUTH_COMPAT=true', { AUTH_COMPAT: 'true' }],
])('Logs (%s)', (_label, env: Record<string, string>) => {
  let t: TestApp;
  let log: LogCapture;
  let ids: Record<'admin' | 'viewer' | 'opseraAdmin', string>;

  beforeAll(async () => {
    log = new LogCapture();
    // With the query string in the access line (LOG_REQUEST_QUERY), so that its redaction is tested;
    // the default (the path only) is tested below.
    t = await createTestApp({ ...env, LOG_LEVEL: 'info', LOG_REQUEST_QUERY: 'true' }, { logDestination: log });
    const idOf = async (secret: string) =>
      (await t.sql<{ id: string }>('select id from api_token where token_hash = ?', [sha256(secret)]))[0].id;
    ids = { admin: await idOf(t.tokens.admin), viewer: await idOf(t.tokens.viewer), opseraAdmin: await idOf(t.tokens.opseraAdmin) };
  });
  afterAll(() => t.close());

  /** No token value, in any encoding we know of, anywhere in the log stream. */
  function expectNoSecretLogged(...secrets: string[]): void {
    for (const secret of [...Object.values(t.tokens), ...secrets]) {
      expect(log.text).not.toContain(secret);
      expect(log.text).not.toContain(secret.slice(4));
    }
    expect(log.text).not.toMatch(/ogm(_|%5f)/i);
  }

  it('writes one line per request naming the acting token by id and name, with status and request id', async () => {
    const res = await t.http().get(`${PEOPLE}?per-page=1`).set(bearer(t.tokens.viewer)).set('X-Request-Id', `viewer-${_label.length}`);
    expect(res.status).toBe(200);
    const line = await log.requestLine(`viewer-${_label.length}`);
    expect(line).toEqual(
      expect.objectContaining({
        level: 30,
        service: 'organigram',
        msg: 'request completed',
        reqId: `viewer-${_label.length}`,
        req: expect.objectContaining({ id: `viewer-${_label.length}`, method: 'GET', url: `${PEOPLE}?per-page=1` }),
        res: { statusCode: 200 },
        responseTime: expect.any(Number),
        tokenId: ids.viewer,
        tokenName: `test ${SiteRole.Viewer}`,
      }),
    );
    // One line per request: Fastify's own "incoming request" line (written before authentication) is off.
    expect(log.lines().filter((l) => l.reqId === `viewer-${_label.length}`)).toHaveLength(1);
    expectNoSecretLogged();
  });

  it('names no token (null) for an unauthenticated or refused request', async () => {
    const none = await t.http().get(PEOPLE).set('X-Request-Id', 'no-token');
    expect(none.status).toBe(401);
    expect(await log.requestLine('no-token')).toEqual(
      expect.objectContaining({ res: { statusCode: 401 }, tokenId: null, tokenName: null }),
    );
    const revokedish = await t
      .http()
      .get(PEOPLE)
      .set(bearer(`${t.tokens.viewer.slice(0, -1)}${t.tokens.viewer.endsWith('x') ? 'y' : 'x'}`))
      .set('X-Request-Id', 'bad-token');
    expect(revokedish.status).toBe(401);
    expect(await log.requestLine('bad-token')).toEqual(expect.objectContaining({ tokenId: null, tokenName: null }));
    expectNoSecretLogged();
  });

  it('names the token on a 403 too', async () => {
    const res = await t.http().post(PEOPLE).set(bearer(t.tokens.viewer)).set('X-Request-Id', 'forbidden').send({});
    expect(res.status).toBe(403);
    expect(await log.requestLine('forbidden')).toEqual(expect.objectContaining({ res: { statusCode: 403 }, tokenId: ids.viewer }));
  });

  it.each([
    ['the access-token parameter', (s: string) => `${PEOPLE}?access-token=${s}&per-page=2`, `${PEOPLE}?access-token=[redacted]&per-page=2`],
    [
      'a percent-encoded parameter name',
      (s: string) => `${PEOPLE}?access%2Dtoken=${s}&per-page=2`,
      `${PEOPLE}?access%2Dtoken=[redacted]&per-page=2`,
    ],
    ['a percent-encoded value', (s: string) => `${PEOPLE}?access-token=ogm%5F${s.slice(4)}`, `${PEOPLE}?access-token=[redacted]`],
    ['any other parameter', (s: string) => `${PEOPLE}?q=${s}`, `${PEOPLE}?q=[redacted]`],
    ['a parameter name', (s: string) => `${PEOPLE}?${s}=1`, `${PEOPLE}?[redacted]=1`],
    ['a path segment', (s: string) => `${PEOPLE}/${s}`, `${PEOPLE}/[redacted]`],
    ['a value that hides it after other text', (s: string) => `${PEOPLE}?q=x%20${s}`, `${PEOPLE}?q=[redacted]`],
  ])('redacts a token value in %s from the logged URL', async (_case, url, logged) => {
    const id = `redact-${_case.replace(/\W+/g, '-')}`;
    const res = await t.http().get(url(t.tokens.viewer)).set(bearer(t.tokens.admin)).set('X-Request-Id', id);
    expect(res.status).toBeLessThan(500);
    const line = await log.requestLine(id);
    expect((line.req as { url: string }).url).toBe(logged);
    expectNoSecretLogged();
  });

  if (env.AUTH_COMPAT) {
    it('authenticates with ?access%2Dtoken= under AUTH_COMPAT and logs the token by id, never its value', async () => {
      const res = await t.http().get(`${PEOPLE}?access%2Dtoken=${t.tokens.viewer}`).set('X-Request-Id', 'compat-encoded');
      expect(res.status).toBe(200);
      const line = await log.requestLine('compat-encoded');
      expect(line).toEqual(
        expect.objectContaining({ req: expect.objectContaining({ url: `${PEOPLE}?access%2Dtoken=[redacted]` }), tokenId: ids.viewer }),
      );
      expectNoSecretLogged();
    });
  }

  it('logs token creation and revocation (cascade included) as events with id, name, role and the acting token id', async () => {
    const parent = await t.http().post(TOKENS).set(bearer(t.tokens.admin)).send({ name: 'ci parent', role: SiteRole.Administrator });
    const kid = await t.http().post(TOKENS).set(bearer(parent.body.token)).send({ name: 'ci kid', role: SiteRole.Viewer });
    expect([parent.status, kid.status]).toEqual([201, 201]);
    expect(log.events('token.created').slice(-2)).toEqual([
      expect.objectContaining({
        level: 30,
        context: 'Tokens',
        msg: 'token created',
        tokenId: parent.body.id,
        tokenName: 'ci parent',
        role: SiteRole.Administrator,
        scopes: ['api'],
        expiresAt: parent.body.expiresAt,
        actorTokenId: ids.admin,
      }),
      expect.objectContaining({ tokenId: kid.body.id, tokenName: 'ci kid', role: SiteRole.Viewer, actorTokenId: parent.body.id }),
    ]);

    const revoke = await t.http().delete(`${TOKENS}/${parent.body.id}?cascade=true`).set(bearer(t.tokens.opseraAdmin));
    expect(revoke.status).toBe(204);
    const revoked = log.events('token.revoked').slice(-2);
    expect(revoked).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          msg: 'token revoked',
          tokenId: parent.body.id,
          tokenName: 'ci parent',
          role: SiteRole.Administrator,
          actorTokenId: ids.opseraAdmin,
          cascadeFrom: null,
        }),
        expect.objectContaining({ tokenId: kid.body.id, tokenName: 'ci kid', role: SiteRole.Viewer, cascadeFrom: parent.body.id }),
      ]),
    );
    // Revoking again changes nothing and logs no new event.
    await t.http().delete(`${TOKENS}/${parent.body.id}?cascade=true`).set(bearer(t.tokens.opseraAdmin)).expect(204);
    expect(log.events('token.revoked')).toHaveLength(2);
    expectNoSecretLogged(parent.body.token as string, kid.body.token as string);
  });
});

/** Issue 10, point 6: one access line per request, the path without its query by default; configurable. */
describe('Access log settings', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('by default logs one line per request: method, the path without the query, status, duration, request id, token', async () => {
    const log = new LogCapture();
    t = await createTestApp({ LOG_LEVEL: 'info' }, { logDestination: log });
    const res = await t.http().get(`${PEOPLE}?per-page=1&q=ada`).set(bearer(t.tokens.viewer)).set('X-Request-Id', 'default-line');
    expect(res.status).toBe(200);
    const line = await log.requestLine('default-line');
    expect(line).toEqual(
      expect.objectContaining({
        level: 30,
        msg: 'request completed',
        reqId: 'default-line',
        req: expect.objectContaining({ id: 'default-line', method: 'GET', url: PEOPLE }),
        res: { statusCode: 200 },
        responseTime: expect.any(Number),
        tokenName: `test ${SiteRole.Viewer}`,
      }),
    );
    expect(log.lines().filter((l) => l.reqId === 'default-line')).toHaveLength(1);
    expect(log.text).not.toContain('q=ada');
  });

  it('LOG_REQUESTS=false writes no access line, for a 200 or a 401', async () => {
    const log = new LogCapture();
    t = await createTestApp({ LOG_LEVEL: 'info', LOG_REQUESTS: 'false' }, { logDestination: log });
    expect((await t.http().get(PEOPLE).set(bearer(t.tokens.viewer)).set('X-Request-Id', 'quiet')).status).toBe(200);
    expect((await t.http().get(PEOPLE).set('X-Request-Id', 'quiet-401')).status).toBe(401);
    await sleep(100);
    expect(log.lines().filter((l) => l.reqId === 'quiet' || l.reqId === 'quiet-401')).toEqual([]);
  });
});
