import type { IncomingMessage } from 'node:http';
import { Transform, type Readable } from 'node:stream';
import { streamedRequestHash } from './idempotency-key.js';

/** The fingerprint of a request whose body its handler reads as a stream (bulk sync uploads). */
export interface StreamedBody {
  /**
   * The request's fingerprint: method, path with query, content type and the raw body bytes. Reads
   * what the handler left of the body first (hashed, never kept): a repeat of a finished request is
   * compared without being parsed. Once computed, the same value on every call.
   */
  fingerprint(): Promise<string>;
}

const bodies = new WeakMap<IncomingMessage, StreamedBody>();

/**
 * For a route that streams its own body (Fastify's parsers never see it): returns the stream the
 * handler must read instead of `payload`; every byte passing through it is hashed, so an
 * `Idempotency-Key` compares bodies of any size without holding them. Past `limit.bytes` the stream
 * fails with `limit.error()`.
 */
export function fingerprintWhileStreaming(
  raw: IncomingMessage,
  payload: Readable,
  request: { method: string; url: string; contentType: string | undefined },
  limit: { bytes: number; error: () => Error },
): Readable {
  const hash = streamedRequestHash(request.method, request.url, request.contentType);
  let received = 0;
  let digest: string | undefined;
  const hashed = new Transform({
    transform(chunk: Buffer | string, _encoding, done) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      received += buffer.length;
      if (received > limit.bytes) return done(limit.error());
      hash.update(buffer);
      done(null, buffer);
    },
    flush(done) {
      digest = hash.digest('hex');
      done();
    },
  });
  payload.on('error', (error) => hashed.destroy(error));
  // An error before anyone reads (the limit passed while chunks are buffered) waits for the reader.
  hashed.on('error', () => undefined);
  payload.pipe(hashed);
  bodies.set(raw, {
    async fingerprint() {
      if (digest === undefined && !hashed.destroyed) {
        for await (const chunk of hashed) void chunk;
      }
      if (hashed.errored) throw hashed.errored;
      if (digest === undefined) throw new Error('the request body was not read to its end');
      return digest;
    },
  });
  return hashed;
}

/** The {@link StreamedBody} of a request registered by {@link fingerprintWhileStreaming}, if any. */
export function streamedBodyOf(raw: IncomingMessage): StreamedBody | undefined {
  return bodies.get(raw);
}
