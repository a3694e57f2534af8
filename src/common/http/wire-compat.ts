import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';

/**
 * What real clients put on the wire and read from it (contract section 4.1, issue 7), handled at the
 * HTTP layer before any route sees the request. See docs/decisions.md, "What the service accepts
 * beyond the strict contract".
 */

/**
 * Response headers sent spelled exactly like this, never lower-cased: clients read some of them with
 * case-sensitive keys (PHP arrays: `$headers['X-Pagination-Total-Count']`). Fastify lower-cases every
 * name given to reply.header(); Node writes a name as it was last set, so these are moved onto the raw
 * response under their canonical spelling just before the head is written.
 */
export const WIRE_HEADER_NAMES = [
  'X-Pagination-Current-Page',
  'X-Pagination-Page-Count',
  'X-Pagination-Per-Page',
  'X-Pagination-Total-Count',
  'Link',
  'Location',
  'Retry-After',
  'X-Request-Id',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
  'ETag',
  'Idempotent-Replayed',
  'WWW-Authenticate',
  'Cache-Control',
] as const;

/** Moves the {@link WIRE_HEADER_NAMES} headers set so far onto the raw response, spelled canonically. */
export function applyWireHeaderCase(reply: FastifyReply): void {
  for (const name of WIRE_HEADER_NAMES) {
    const value = reply.getHeader(name);
    if (value === undefined) continue;
    reply.removeHeader(name);
    reply.raw.setHeader(name, value);
  }
}

/**
 * RFC 9112 section 6.3: a request with neither Transfer-Encoding nor Content-Length (or with
 * Content-Length: 0) has no body, whatever its Content-Type says.
 */
export function isBodiless(headers: IncomingHttpHeaders): boolean {
  if (headers['transfer-encoding'] !== undefined) return false;
  const length = headers['content-length'];
  return length === undefined || length === '0';
}

/** Whether a matched route parameter is empty (the wildcard `*` may be, as Nest allows). */
export function hasEmptyParam(params: unknown): boolean {
  if (params === null || typeof params !== 'object') return false;
  for (const [name, value] of Object.entries(params)) if (value === '' && name !== '*') return true;
  return false;
}

/** How much of a refused request body is still read (and discarded) after its answer, and for how long. */
export interface DrainBounds {
  maxBytes: number;
  maxMs: number;
}

/** Defaults: a few MiB and a few seconds, enough for a client uploading a few times the 1 MiB limit. */
export const DEFAULT_DRAIN_BOUNDS: DrainBounds = { maxBytes: 8 * 1024 * 1024, maxMs: 5_000 };

const DRAIN_POLL_MS = 50;

/**
 * Registers the hooks on the root Fastify instance (so they apply to every route, 404s and framework
 * errors included).
 */
export function installWireCompat(fastify: FastifyInstance, bounds: DrainBounds = DEFAULT_DRAIN_BOUNDS): void {
  // A bodiless request's Content-Type describes nothing: dropped, so Fastify parses no body (GuzzleHttp
  // sends Content-Type: application/json on every DELETE and GET; Fastify would answer 400 "Body
  // cannot be empty", or 415 for another type).
  fastify.addHook('onRequest', (request: FastifyRequest, _reply: FastifyReply, done: () => void) => {
    if (request.raw.headers['content-type'] !== undefined && isBodiless(request.raw.headers)) {
      delete request.raw.headers['content-type'];
    }
    done();
  });

  // A route parameter left empty (`POST /v2/org-unit/historicize/`: find-my-way matches `:id` with "")
  // is an unknown route, as Nest's route handler would answer it, but decided before the body is parsed:
  // the same 404 whatever the Content-Type, never a 415 or 400 about a body no route will read. In the
  // first preParsing hook: after every onRequest hook (request id, security headers), like any 404.
  fastify.addHook('preParsing', (request: FastifyRequest, reply: FastifyReply, payload: Readable, done: (e: null, p: Readable) => void) => {
    if (hasEmptyParam(request.params)) reply.callNotFound();
    else done(null, payload);
  });

  fastify.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (e: null, p: unknown) => void) => {
    applyWireHeaderCase(reply);
    if (!request.raw.complete && !isBodiless(request.raw.headers)) keepReadingAfterAnswer(request, reply, bounds);
    done(null, payload);
  });
}

/**
 * An answer sent before its request body has arrived (a 413 over the body limit, a 415): the client
 * is most likely still sending. Closing now would make the server's TCP stack reset the connection
 * on the next data, and a client still uploading would see ECONNRESET/EPIPE instead of the answer
 * (RFC 9112 section 9.6). So the connection is kept: Node reads the rest of the body and discards it
 * (Fastify's `Connection: close` for a refused body is removed), and the connection serves the next
 * request afterwards. Bounded: past `maxBytes` more bytes or `maxMs`, the connection is destroyed.
 */
function keepReadingAfterAnswer(request: FastifyRequest, reply: FastifyReply, bounds: DrainBounds): void {
  const socket = request.raw.socket;
  if (!socket || socket.destroyed) return;
  if (String(reply.getHeader('connection') ?? '').toLowerCase() === 'close') reply.removeHeader('connection');
  // Whatever was reading the body (a preParsing stream piped from it) has stopped: discard the rest,
  // so the request keeps flowing instead of pausing on backpressure until the bounds destroy it.
  request.raw.unpipe();
  request.raw.resume();
  const startBytes = socket.bytesRead;
  const deadline = Date.now() + bounds.maxMs;
  const timer = setInterval(() => {
    if (request.raw.complete || socket.destroyed) {
      clearInterval(timer);
    } else if (socket.bytesRead - startBytes > bounds.maxBytes || Date.now() > deadline) {
      clearInterval(timer);
      socket.destroy();
    }
  }, DRAIN_POLL_MS);
  timer.unref();
  socket.once('close', () => clearInterval(timer));
}
