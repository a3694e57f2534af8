import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { OpenApiConformance, servedDocumentOf, type Exchange } from './openapi-conformance.js';

/**
 * A raw HTTP/1.1 client over node:net, for what supertest and fetch cannot show: header names as the
 * server spelled them, requests without a body but with a Content-Type, and bodies sent exactly as
 * given. It parses responses framed by Content-Length or chunked encoding, or ended by the close.
 */
export interface RawResponse {
  /** The status line as sent, e.g. `HTTP/1.1 204 No Content`. */
  statusLine: string;
  status: number;
  /** Header fields in wire order, names as the server spelled them. */
  headers: [string, string][];
  /** The body (chunked encoding removed). */
  body: string;
}

/** The value of a header looked up case-sensitively, as PHP's `$headers['X-Pagination-Total-Count']` does. */
export function exactHeader(res: RawResponse, name: string): string | undefined {
  return res.headers.find(([n]) => n === name)?.[1];
}

/** The header names in wire order, as spelled. */
export const headerNames = (res: RawResponse): string[] => res.headers.map(([n]) => n);

/** Parses one response at the start of `data`; undefined while it is incomplete (unless `ended`). */
export function parseResponse(data: Buffer, ended: boolean): { response: RawResponse; rest: Buffer } | undefined {
  const headEnd = data.indexOf('\r\n\r\n');
  if (headEnd === -1) {
    if (ended && data.length > 0) throw new Error(`incomplete response head: ${JSON.stringify(data.toString('latin1').slice(0, 200))}`);
    return undefined;
  }
  const [statusLine, ...lines] = data.subarray(0, headEnd).toString('latin1').split('\r\n');
  const headers = lines.map((line): [string, string] => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon), line.slice(colon + 1).trim()];
  });
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  const find = (name: string) => headers.find(([n]) => n.toLowerCase() === name)?.[1];
  let rest = data.subarray(headEnd + 4);
  const response = (body: Buffer): RawResponse => ({ statusLine, status, headers, body: body.toString('utf8') });
  if (status === 204 || status === 304) return { response: response(Buffer.alloc(0)), rest };
  if (find('transfer-encoding')?.toLowerCase() === 'chunked') {
    const chunks: Buffer[] = [];
    for (;;) {
      const lineEnd = rest.indexOf('\r\n');
      if (lineEnd === -1) return incomplete();
      const size = parseInt(rest.subarray(0, lineEnd).toString('latin1'), 16);
      if (rest.length < lineEnd + 2 + size + 2) return incomplete();
      if (size === 0) return { response: response(Buffer.concat(chunks)), rest: rest.subarray(lineEnd + 4) };
      chunks.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
      rest = rest.subarray(lineEnd + 2 + size + 2);
    }
  }
  const length = find('content-length');
  if (length !== undefined) {
    const n = Number(length);
    if (rest.length < n) return incomplete();
    return { response: response(rest.subarray(0, n)), rest: rest.subarray(n) };
  }
  return ended ? { response: response(rest), rest: Buffer.alloc(0) } : undefined;

  function incomplete(): undefined {
    if (ended) throw new Error(`incomplete response body: ${statusLine}`);
    return undefined;
  }
}

/** One client connection: write raw bytes, read responses one by one. */
export class RawConnection {
  private buffer: Buffer = Buffer.alloc(0);
  private ended = false;
  private error: Error | undefined;
  private waiter: (() => void) | undefined;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.waiter?.();
    });
    socket.on('end', () => {
      this.ended = true;
      this.waiter?.();
    });
    socket.on('close', () => {
      this.ended = true;
      this.waiter?.();
    });
    socket.on('error', (error) => {
      this.error = error;
      this.waiter?.();
    });
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1' }, () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(data, (error) => (error ? reject(error) : resolve())));
  }

  /** The next complete response; fails after `timeoutMs` or when the connection ends without one. */
  async response(timeoutMs = 10_000): Promise<RawResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = parseResponse(this.buffer, this.ended);
      if (parsed) {
        this.buffer = parsed.rest;
        return parsed.response;
      }
      if (this.error) throw this.error;
      if (this.ended) throw new Error('connection closed without a response');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no complete response within ${timeoutMs} ms: ${JSON.stringify(this.buffer.toString('latin1'))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }

  /** Resolves when the server has closed the connection (true) or after `timeoutMs` (false). */
  async closedByServer(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    return this.ended;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Sends one raw request on a new connection and reads its response. */
export async function rawRequest(port: number, request: string | Buffer): Promise<RawResponse> {
  const connection = await RawConnection.open(port);
  try {
    await connection.write(request);
    return await connection.response();
  } finally {
    connection.close();
  }
}

/** Builds a request head: the request line, the headers exactly as given, the blank line, then the body if any. */
export function rawHttp(method: string, target: string, headers: [string, string][], body?: string): string {
  return [`${method} ${target} HTTP/1.1`, ...headers.map(([n, v]) => `${n}: ${v}`), '', body ?? ''].join('\r\n');
}

/** The port of a listening application. */
export function portOf(server: { address(): string | AddressInfo | null }): number {
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the server is not listening on TCP');
  return address.port;
}

/**
 * Checks a raw exchange against the OpenAPI document the application serves, as the supertest
 * recorder does for every other e2e request; returns the violations as text.
 */
export function openApiViolations(server: object, method: string, url: string, res: RawResponse): string[] {
  const doc = servedDocumentOf(server);
  if (!doc) throw new Error('no served OpenAPI document registered for this server');
  const headers: Exchange['headers'] = {};
  for (const [name, value] of res.headers) headers[name.toLowerCase()] = value;
  return new OpenApiConformance(doc).check({ method, url, status: res.status, headers, text: res.body }).map((v) => v.message);
}
