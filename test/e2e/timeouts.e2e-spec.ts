import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createTestApp, type TestApp } from '../support/test-app.js';

const REQUEST_TIMEOUT_MS = 1_000;
const KEEP_ALIVE_TIMEOUT_MS = 1_000;

interface Conversation {
  socket: Socket;
  /** Everything the server wrote so far. */
  received: () => string;
  /** Resolves with the performance.now() at which the server closed the connection. */
  closed: Promise<number>;
}

function open(port: number): Promise<Conversation> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', () => undefined);
    const closed = new Promise<number>((done) => socket.on('close', () => done(performance.now())));
    socket.once('connect', () => resolve({ socket, received: () => text, closed }));
    socket.once('error', reject);
  });
}

function headerBlock(raw: string): Record<string, string> {
  const [head] = raw.split('\r\n\r\n');
  return Object.fromEntries(
    head
      .split('\r\n')
      .slice(1)
      .map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
  );
}

describe('Request and keep-alive timeouts (contract section 8)', () => {
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    t = await createTestApp({ REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS), KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_TIMEOUT_MS) });
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(() => t.close());

  it('answers a body that stops arriving with a 408 problem and closes the connection', async () => {
    const started = performance.now();
    const c = await open(port);
    const body = JSON.stringify({ email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace' });
    c.socket.write(
      `POST /api/v2/data/people HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${t.tokens.admin}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
    );
    const closedAfter = (await c.closed) - started;
    // Node looks for late requests every quarter of the timeout here (every second by default).
    expect(closedAfter).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    expect(closedAfter).toBeLessThan(REQUEST_TIMEOUT_MS + 2_000);
    const raw = c.received();
    expect(raw.startsWith('HTTP/1.1 408 Request timeout\r\n')).toBe(true);
    const headers = headerBlock(raw);
    expect(headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(headers.connection).toBe('close');
    expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toEqual({
      type: 'https://organigram.dev/problems/request-timeout',
      title: 'Request timeout',
      status: 408,
      detail: 'The request took too long to arrive.',
      instance: '/',
      requestId: headers['x-request-id'],
    });
    expect(await t.sql('select count(*)::int as n from person')).toEqual([{ n: 0 }]);
  });

  it('answers headers that never finish with a 408 and closes the connection', async () => {
    const started = performance.now();
    const c = await open(port);
    c.socket.write('GET /health/live HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');
    const closedAfter = (await c.closed) - started;
    expect(closedAfter).toBeLessThan(REQUEST_TIMEOUT_MS + 2_000);
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 Request timeout\r\n/);
  });

  it('closes a connection that never sends a request', async () => {
    const started = performance.now();
    const c = await open(port);
    const closedAfter = (await c.closed) - started;
    expect(closedAfter).toBeLessThan(REQUEST_TIMEOUT_MS + 2_000);
  });

  it('closes an idle keep-alive connection after KEEP_ALIVE_TIMEOUT_MS', async () => {
    const c = await open(port);
    c.socket.write('GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (c.received().includes('{"status":"ok"}')) {
          clearInterval(poll);
          resolve();
        }
      }, 5);
    });
    const answeredAt = performance.now();
    expect(c.received()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(headerBlock(c.received())['keep-alive']).toBe(`timeout=${KEEP_ALIVE_TIMEOUT_MS / 1000}`);
    const idle = (await c.closed) - answeredAt;
    // Node adds a grace of one second (keepAliveTimeoutBuffer) to the advertised timeout.
    expect(idle).toBeGreaterThanOrEqual(KEEP_ALIVE_TIMEOUT_MS - 50);
    expect(idle).toBeLessThan(KEEP_ALIVE_TIMEOUT_MS + 3_000);
  });
});
