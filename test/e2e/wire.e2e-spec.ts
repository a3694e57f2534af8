import { request as httpRequest } from 'node:http';
import { generateToken } from '../../src/common/auth/token-format.js';
import { WIRE_HEADER_NAMES } from '../../src/common/http/wire-compat.js';
import { orgFactories, type OrgFactories } from '../support/org-factories.js';
import {
  exactHeader,
  headerNames,
  openApiViolations,
  portOf,
  rawHttp,
  rawRequest,
  RawConnection,
  type RawResponse,
} from '../support/raw-http.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/**
 * Contract sections 4.1, 7 and 8 at the wire level, with a raw node:net client: supertest and fetch
 * lower-case header names and always send complete bodies, so they cannot see these.
 */

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MiB = 1024 * 1024;

/** A raw request's headers: Host and the token first, then the given ones, exactly as written. */
function head(token: string | undefined, ...headers: [string, string][]): [string, string][] {
  return [
    ['Host', 'organigram.test'],
    ...(token === undefined ? [] : [['Authorization', `Bearer ${token}`] as [string, string]]),
    ...headers,
  ];
}

/** Every header of the answer whose name is one of the documented ones is spelled exactly like it. */
function expectCanonicalNames(res: RawResponse): void {
  for (const name of headerNames(res)) {
    const canonical = WIRE_HEADER_NAMES.find((c) => c.toLowerCase() === name.toLowerCase());
    if (canonical) expect(name).toBe(canonical);
  }
}

async function send(t: TestApp, method: string, target: string, headers: [string, string][], body?: string): Promise<RawResponse> {
  const res = await rawRequest(portOf(t.app.getHttpServer()), rawHttp(method, target, headers, body));
  expect(openApiViolations(t.app.getHttpServer(), method, target, res)).toEqual([]);
  expectCanonicalNames(res);
  return res;
}

const json = (res: RawResponse): unknown => JSON.parse(res.body);
const anyCase = (res: RawResponse, name: string) => res.headers.find(([n]) => n.toLowerCase() === name)?.[1];

describe('On the wire: requests without a body, whatever their Content-Type (contract 4.1)', () => {
  let t: TestApp;
  let f: OrgFactories;

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen(0, '127.0.0.1');
    f = orgFactories(t);
  });
  afterAll(() => t.close());
  beforeEach(() => t.sql('truncate org_person, org_unit, org_role, person cascade'));

  it.each([
    ['application/json, no Content-Length', [['Content-Type', 'application/json']]],
    [
      'application/json, Content-Length: 0',
      [
        ['Content-Type', 'application/json'],
        ['Content-Length', '0'],
      ],
    ],
    ['text/plain', [['Content-Type', 'text/plain']]],
    ['application/x-www-form-urlencoded', [['Content-Type', 'application/x-www-form-urlencoded']]],
    ['a malformed media type', [['Content-Type', 'not a media type']]],
  ] as [string, [string, string][]][])('deletes with %s and no body: 204', async (_label, headers) => {
    const id = await f.unit({ name: 'Gone' });
    const res = await send(t, 'DELETE', `/v2/org-unit/delete/${id}`, head(t.tokens.admin, ...headers));
    expect(res.statusLine).toBe('HTTP/1.1 204 No Content');
    expect(res.body).toBe('');
    expect(exactHeader(res, 'X-Request-Id')).toMatch(UUID);
    expect(await t.sql('select count(*)::int as n from org_unit')).toEqual([{ n: 0 }]);
  });

  it('views with Content-Type: application/json and no body: 200', async () => {
    const id = await f.unit({ name: 'Seen' });
    const res = await send(t, 'GET', `/v2/org-unit/view/${id}`, head(t.tokens.viewer, ['Content-Type', 'application/json']));
    expect(res.statusLine).toBe('HTTP/1.1 200 OK');
    expect(json(res)).toEqual({
      org_unit_id: id,
      code: null,
      name: 'Seen',
      description: null,
      parent_org_unit_id: null,
      project_id: null,
      external_id: null,
      valid_from: null,
      valid_to: null,
      owned_active: true,
      parent_active: true,
    });
  });

  it('historicizes with Content-Type: application/json and no body: valid_to is now', async () => {
    const id = await f.unit({ name: 'Old' });
    const before = Date.now();
    const res = await send(t, 'POST', `/v2/org-unit/historicize/${id}`, head(t.tokens.powerUser, ['Content-Type', 'application/json']));
    expect(res.statusLine).toBe('HTTP/1.1 200 OK');
    const body = json(res) as { valid_to: string };
    expect(body).toEqual(expect.objectContaining({ org_unit_id: id, valid_to: expect.stringMatching(ISO_MS), owned_active: false }));
    expect(new Date(body.valid_to).getTime()).toBeGreaterThanOrEqual(before - 1000);
    const [row] = await t.sql<{ valid_to: string }>('select valid_to from org_unit where id = ?', [id]);
    expect(new Date(row.valid_to).toISOString()).toBe(body.valid_to);
  });

  it('updates with Content-Type: application/json and no body: nothing changes', async () => {
    const id = await f.unit({ name: 'Same' });
    const res = await send(t, 'PUT', `/v2/org-unit/update/${id}`, head(t.tokens.powerUser, ['Content-Type', 'application/json']));
    expect(res.statusLine).toBe('HTTP/1.1 200 OK');
    expect(json(res)).toEqual(expect.objectContaining({ org_unit_id: id, name: 'Same', valid_to: null }));
  });

  it('indexes with Content-Type: application/json and no body: the default page', async () => {
    const id = await f.unit({ name: 'Listed' });
    const res = await send(t, 'POST', '/v2/org-unit/index', head(t.tokens.viewer, ['Content-Type', 'application/json']));
    expect(res.statusLine).toBe('HTTP/1.1 200 OK');
    expect(json(res)).toEqual([expect.objectContaining({ org_unit_id: id, name: 'Listed' })]);
    expect(exactHeader(res, 'X-Pagination-Total-Count')).toBe('1');
  });

  it('still refuses a chunked body that is empty with JSON as its type: a body was sent, and it is not JSON', async () => {
    const id = await f.unit({ name: 'Kept' });
    const res = await send(
      t,
      'POST',
      `/v2/org-unit/historicize/${id}`,
      head(t.tokens.powerUser, ['Content-Type', 'application/json'], ['Transfer-Encoding', 'chunked']),
      '0\r\n\r\n',
    );
    expect(res.status).toBe(400);
    expect(json(res)).toEqual({
      type: 'https://organigram.dev/problems/bad-request',
      title: 'Bad request',
      status: 400,
      detail: "Body cannot be empty when content-type is set to 'application/json'",
      instance: `/v2/org-unit/historicize/${id}`,
      requestId: exactHeader(res, 'X-Request-Id'),
    });
    expect(await t.sql('select valid_to from org_unit')).toEqual([{ valid_to: null }]);
  });

  it('still refuses a body that is sent with a type other than JSON: 415', async () => {
    const res = await send(
      t,
      'POST',
      '/v2/org-unit/create',
      head(t.tokens.powerUser, ['Content-Type', 'text/plain'], ['Content-Length', '12']),
      'name=smuggle',
    );
    expect(res.status).toBe(415);
    expect(await t.sql('select count(*)::int as n from org_unit')).toEqual([{ n: 0 }]);
  });
});

describe('On the wire: header names spelled as documented (contract 4.1)', () => {
  let t: TestApp;
  let f: OrgFactories;

  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_ENABLED: 'true', RATE_LIMIT: '1000', RATE_LIMIT_WINDOW_MS: '60000' });
    await t.app.listen(0, '127.0.0.1');
    f = orgFactories(t);
  });
  afterAll(() => t.close());

  it('sends X-Pagination-*, Link, X-Request-Id and X-RateLimit-* in their documented case on a GET list', async () => {
    await t.sql('truncate person cascade');
    const res = await send(t, 'GET', '/api/v2/data/people?per-page=5', head(t.tokens.viewer));
    expect(res.statusLine).toBe('HTTP/1.1 200 OK');
    expect(exactHeader(res, 'X-Pagination-Current-Page')).toBe('1');
    expect(exactHeader(res, 'X-Pagination-Page-Count')).toBe('0');
    expect(exactHeader(res, 'X-Pagination-Per-Page')).toBe('5');
    expect(exactHeader(res, 'X-Pagination-Total-Count')).toBe('0');
    expect(exactHeader(res, 'Link')).toBe(
      '</api/v2/data/people?per-page=5&page=1>; rel="first", </api/v2/data/people?per-page=5&page=1>; rel="last"',
    );
    expect(exactHeader(res, 'X-Request-Id')).toMatch(UUID);
    expect(exactHeader(res, 'X-RateLimit-Limit')).toBe('1000');
    expect(exactHeader(res, 'X-RateLimit-Remaining')).toMatch(/^\d+$/);
    expect(exactHeader(res, 'X-RateLimit-Reset')).toMatch(/^\d+$/);
    expect(headerNames(res).filter((n) => /^x-pagination-|^link$|^x-request-id$|^x-ratelimit-/i.test(n))).toEqual(
      expect.arrayContaining([
        'X-Pagination-Current-Page',
        'X-Pagination-Page-Count',
        'X-Pagination-Per-Page',
        'X-Pagination-Total-Count',
        'Link',
        'X-Request-Id',
        'X-RateLimit-Limit',
        'X-RateLimit-Remaining',
        'X-RateLimit-Reset',
      ]),
    );
    expect(json(res)).toEqual({ count: 0, data: [] });
  });

  it('sends X-Pagination-Total-Count on a 4HSE index, as a PHP client reads it', async () => {
    await f.unit({ name: 'One' });
    await f.unit({ name: 'Two' });
    const body = '{"per-page":1,"page":2}';
    const res = await send(
      t,
      'POST',
      '/v2/org-unit/index',
      head(t.tokens.viewer, ['Content-Type', 'application/json'], ['Content-Length', String(body.length)]),
      body,
    );
    expect(res.statusLine).toBe('HTTP/1.1 200 OK');
    expect(exactHeader(res, 'X-Pagination-Total-Count')).toBe('2');
    expect(exactHeader(res, 'X-Pagination-Current-Page')).toBe('2');
    expect(exactHeader(res, 'X-Pagination-Page-Count')).toBe('2');
    expect(exactHeader(res, 'X-Pagination-Per-Page')).toBe('1');
    expect(exactHeader(res, 'x-pagination-total-count')).toBeUndefined();
  });

  it('sends Location on a create', async () => {
    const body = '{"email":"wire@example.com","firstName":"Wire","lastName":"Case"}';
    const res = await send(
      t,
      'POST',
      '/api/v2/data/people',
      head(t.tokens.powerUser, ['Content-Type', 'application/json'], ['Content-Length', String(body.length)]),
      body,
    );
    expect(res.statusLine).toBe('HTTP/1.1 201 Created');
    expect(exactHeader(res, 'Location')).toBe('/api/v2/data/people/wire%40example.com');
  });

  it('sends WWW-Authenticate and X-Request-Id on a 401, and X-Request-Id on a 404 and on a router error', async () => {
    const unauthorized = await send(t, 'GET', '/v2/org-unit/view/x', head(undefined));
    expect(unauthorized.statusLine).toBe('HTTP/1.1 401 Unauthorized');
    expect(exactHeader(unauthorized, 'WWW-Authenticate')).toBe('Bearer realm="organigram"');
    const missing = await send(t, 'GET', '/nothing-here', head(t.tokens.viewer));
    expect(missing.statusLine).toBe('HTTP/1.1 404 Not Found');
    expect(exactHeader(missing, 'X-Request-Id')).toBe((json(missing) as { requestId: string }).requestId);
    const malformed = await send(t, 'GET', '/v2/org-unit/view/%E0%A4%A', head(t.tokens.viewer));
    expect(malformed.status).toBe(400);
    expect(exactHeader(malformed, 'X-Request-Id')).toBe((json(malformed) as { requestId: string }).requestId);
  });

  it('sends Retry-After and the X-RateLimit-* headers on a 429', async () => {
    const limited = await createTestApp({ RATE_LIMIT_ENABLED: 'true', RATE_LIMIT: '1', RATE_LIMIT_WINDOW_MS: '60000' });
    try {
      await limited.app.listen(0, '127.0.0.1');
      await send(limited, 'GET', '/api/v2/data/people', head(limited.tokens.viewer));
      const res = await send(limited, 'GET', '/api/v2/data/people', head(limited.tokens.viewer));
      expect(res.statusLine).toBe('HTTP/1.1 429 Too Many Requests');
      expect(exactHeader(res, 'Retry-After')).toMatch(/^\d+$/);
      expect(exactHeader(res, 'X-RateLimit-Limit')).toBe('1');
      expect(exactHeader(res, 'X-RateLimit-Remaining')).toBe('0');
      expect(exactHeader(res, 'X-RateLimit-Reset')).toMatch(/^\d+$/);
    } finally {
      await limited.close();
    }
  });
});

/** Uploads `total` bytes with node:http, 64 KiB at a time with a pause, so the client is still sending when the answer comes. */
function uploadWithHttpRequest(port: number, token: string, total: number, chunked: boolean) {
  return new Promise<{ status?: number; body: string; errors: string[]; written: number }>((resolve) => {
    const errors: string[] = [];
    let status: number | undefined;
    let body = '';
    let written = 0;
    let answered = false;
    let finished = false;
    const done = () => {
      if (answered && finished) setTimeout(() => resolve({ status, body, errors, written }), 100);
    };
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/v2/org-unit/create',
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': 'application/json',
        ...(chunked ? {} : { 'Content-Length': String(total) }),
      },
    });
    req.on('response', (res) => {
      status = res.statusCode;
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        answered = true;
        done();
      });
    });
    req.on('error', (error: Error & { code?: string }) => {
      errors.push(error.code ?? error.message);
      answered = finished = true;
      done();
    });
    const piece = Buffer.alloc(64 * 1024, 'a');
    const pump = () => {
      if (written >= total) {
        req.end(() => {
          finished = true;
          done();
        });
        return;
      }
      written += piece.length;
      req.write(piece);
      setTimeout(pump, 2);
    };
    pump();
  });
}

describe('On the wire: a body over the limit gets its 413 to a client still sending it (contract 8)', () => {
  let t: TestApp;
  let port: number;
  const PROBLEM_413 = (requestId: string) => ({
    type: 'https://organigram.dev/problems/payload-too-large',
    title: 'Payload too large',
    status: 413,
    detail: 'Request body is too large',
    instance: '/v2/org-unit/create',
    requestId,
  });

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen(0, '127.0.0.1');
    port = portOf(t.app.getHttpServer());
  });
  afterAll(() => t.close());

  afterEach(async () => {
    // The server keeps serving after every refused upload.
    const res = await rawRequest(port, rawHttp('GET', '/health/live', head(undefined)));
    expect(res.statusLine).toBe('HTTP/1.1 200 OK');
    expect(await t.sql('select count(*)::int as n from org_unit')).toEqual([{ n: 0 }]);
  });

  it.each([
    ['Content-Length', false],
    ['chunked', true],
  ])(
    'raw socket, %s: the 413 arrives while 2 MiB are sent, the rest is read, and the connection serves the next request',
    async (_l, chunked) => {
      const connection = await RawConnection.open(port);
      try {
        const total = 2 * MiB;
        const frame = (n: number) =>
          chunked ? Buffer.concat([Buffer.from(`${n.toString(16)}\r\n`), Buffer.alloc(n, 'a'), Buffer.from('\r\n')]) : Buffer.alloc(n, 'a');
        await connection.write(
          rawHttp(
            'POST',
            '/v2/org-unit/create',
            head(
              t.tokens.powerUser,
              ['Content-Type', 'application/json'],
              chunked ? ['Transfer-Encoding', 'chunked'] : ['Content-Length', String(total)],
            ),
          ),
        );
        // Past the limit, then wait for the answer before sending the rest.
        await connection.write(frame(1.25 * MiB));
        const res = await connection.response();
        expect(res.statusLine).toBe('HTTP/1.1 413 Payload Too Large');
        expect(anyCase(res, 'content-type')).toBe('application/problem+json; charset=utf-8');
        expect(json(res)).toEqual(PROBLEM_413(exactHeader(res, 'X-Request-Id')!));
        // Not `Connection: close`: the connection stays, and HTTP/1.1 keeps it by default.
        expect(anyCase(res, 'connection')).toBeUndefined();
        // The server still reads: the rest of the body goes through without a reset.
        await new Promise((resolve) => setTimeout(resolve, 200));
        await connection.write(frame(0.75 * MiB));
        if (chunked) await connection.write('0\r\n\r\n');
        await connection.write(rawHttp('GET', '/health/live', head(undefined)));
        const next = await connection.response();
        expect(next.statusLine).toBe('HTTP/1.1 200 OK');
        expect(json(next)).toEqual({ status: 'ok' });
      } finally {
        connection.close();
      }
    },
  );

  it('closes a connection that keeps sending past the drain bound (8 MiB more)', async () => {
    const connection = await RawConnection.open(port);
    try {
      await connection.write(
        rawHttp(
          'POST',
          '/v2/org-unit/create',
          head(t.tokens.powerUser, ['Content-Type', 'application/json'], ['Content-Length', String(100 * MiB)]),
        ),
      );
      const res = await connection.response();
      expect(res.status).toBe(413);
      const piece = Buffer.alloc(MiB, 'a');
      for (let i = 0; i < 12 && !connection.socket.destroyed; i++) {
        await connection.write(piece).catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(await connection.closedByServer(5_000)).toBe(true);
    } finally {
      connection.close();
    }
  });

  it('closes a connection that trickles the rest of a refused body for longer than 5 s', async () => {
    const connection = await RawConnection.open(port);
    try {
      await connection.write(
        rawHttp(
          'POST',
          '/v2/org-unit/create',
          head(t.tokens.powerUser, ['Content-Type', 'application/json'], ['Content-Length', String(2 * MiB)]),
        ),
      );
      expect((await connection.response()).status).toBe(413);
      const started = Date.now();
      const trickle = setInterval(() => void connection.write('a').catch(() => undefined), 200);
      try {
        expect(await connection.closedByServer(8_000)).toBe(true);
      } finally {
        clearInterval(trickle);
      }
      expect(Date.now() - started).toBeGreaterThanOrEqual(4_000);
    } finally {
      connection.close();
    }
  });

  it.each([
    ['Content-Length', false],
    ['chunked', true],
  ])('node:http uploading 2 MiB with %s reads the 413 problem, and its upload ends without EPIPE or ECONNRESET', async (_l, chunked) => {
    const result = await uploadWithHttpRequest(port, t.tokens.powerUser, 2 * MiB, chunked);
    expect(result.errors).toEqual([]);
    expect(result.status).toBe(413);
    expect(result.written).toBe(2 * MiB);
    const body = JSON.parse(result.body) as { requestId: string };
    expect(body).toEqual(PROBLEM_413(body.requestId));
  });

  it.each([
    ['Content-Length', false],
    ['chunked', true],
  ])('fetch uploading 2 MiB with %s reads the 413 problem', async (_l, chunked) => {
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent >= 2 * MiB) return controller.close();
        await new Promise((resolve) => setTimeout(resolve, 2));
        sent += 64 * 1024;
        controller.enqueue(new Uint8Array(64 * 1024).fill(97));
      },
    });
    const res = await fetch(`http://127.0.0.1:${port}/v2/org-unit/create`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${t.tokens.powerUser}`, 'Content-Type': 'application/json' },
      body: chunked ? stream : Buffer.alloc(2 * MiB, 'a'),
      duplex: 'half',
    });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    const body = (await res.json()) as { requestId: string };
    expect(body).toEqual(PROBLEM_413(res.headers.get('x-request-id')!));
  });
});

describe('On the wire: one 401 for every Authorization header that is not a readable token (contract 7)', () => {
  /** The parts of a 401 that must not differ: status line, headers but Date, X-Request-Id and their order, body but requestId. */
  function shape(res: RawResponse) {
    const { requestId, ...body } = json(res) as Record<string, unknown>;
    expect(requestId).toBe(exactHeader(res, 'X-Request-Id'));
    return { statusLine: res.statusLine, headers: res.headers.filter(([n]) => n !== 'Date' && n !== 'X-Request-Id'), body };
  }

  describe.each([
    ['off', {}],
    ['on', { AUTH_COMPAT: 'true' }],
  ])('with AUTH_COMPAT %s', (_label, env) => {
    let t: TestApp;
    let unknown: ReturnType<typeof shape>;

    beforeAll(async () => {
      t = await createTestApp(env);
      await t.app.listen(0, '127.0.0.1');
      unknown = shape(await send(t, 'GET', '/v2/org-unit/view/x', head(generateToken())));
    });
    afterAll(() => t.close());

    it('answers an unknown well-formed token 401 invalid_token', () => {
      expect(unknown.statusLine).toBe('HTTP/1.1 401 Unauthorized');
      expect(unknown.headers).toEqual(expect.arrayContaining([['WWW-Authenticate', 'Bearer realm="organigram", error="invalid_token"']]));
      expect(unknown.body).toEqual({
        type: 'https://organigram.dev/problems/unauthorized',
        title: 'Unauthorized',
        status: 401,
        detail: 'The token is invalid, expired or revoked.',
        instance: '/v2/org-unit/view/x',
      });
    });

    it.each([
      ['Bearer alone', 'Bearer'],
      ['Bearer and a space', 'Bearer '],
      ['Bearer with two values', 'Bearer a b'],
      ['Bearer with two real-looking tokens', `Bearer ${generateToken()} ${generateToken()}`],
      ['Basic credentials', 'Basic dXNlcjpwYXNz'],
      ['another scheme', 'Token abcdef'],
      ['garbage', '}{#!~'],
      ['an empty value', ''],
      ['only spaces', '   '],
    ])('answers %s exactly like an unknown token', async (_what, value) => {
      const res = await send(t, 'GET', '/v2/org-unit/view/x', [
        ['Host', 'organigram.test'],
        ['Authorization', value],
      ]);
      expect(shape(res)).toEqual(unknown);
    });

    it('still answers a request without any Authorization header with the plain challenge', async () => {
      const res = await send(t, 'GET', '/v2/org-unit/view/x', head(undefined));
      expect(res.statusLine).toBe('HTTP/1.1 401 Unauthorized');
      expect(exactHeader(res, 'WWW-Authenticate')).toBe('Bearer realm="organigram"');
      expect((json(res) as { detail: string }).detail).toBe('Authentication required: send the header Authorization: Bearer <token>.');
    });
  });
});
