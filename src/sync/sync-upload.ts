import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { PassThrough, pipeline, type Readable } from 'node:stream';
import { isBodiless } from '../common/http/wire-compat.js';
import { fingerprintWhileStreaming } from '../common/idempotency/streamed-body.js';
import { PayloadTooLargeError } from './sync-input.js';

/** The route whose body is read as a stream by the sync service, never by Fastify's parsers. */
export const SYNC_JOBS_ROUTE = '/api/v2/sync/jobs';

/** The unread body of a sync upload, as the client sent it. */
export interface SyncUpload {
  readonly stream: Readable;
  readonly contentType: string | undefined;
  /** The Content-Length the client announced, if any. */
  readonly contentLength: number | undefined;
  readonly hasBody: boolean;
}

const uploads = new WeakMap<IncomingMessage, SyncUpload>();

/**
 * Sync bodies (up to SYNC_BODY_LIMIT_BYTES, JSON or CSV) bypass Fastify's body parsing: its body
 * limit (BODY_LIMIT_BYTES), its JSON.parse of the whole body and the JSON value scan would refuse or
 * buffer a large HR export. Before parsing, the body stream is kept aside for the handler and the
 * request is made to look bodiless to Fastify (its body headers moved aside), so the route's
 * guards run first and the service streams the body row by row afterwards. Must be registered
 * before the other preParsing hooks.
 */
export function installSyncUpload(fastify: FastifyInstance, bodyLimitBytes: number): void {
  fastify.addHook(
    'preParsing',
    (request: FastifyRequest, _reply: FastifyReply, payload: Readable, done: (e: null, p: Readable) => void) => {
      if (request.method === 'POST' && request.routeOptions.url === SYNC_JOBS_ROUTE) {
        const headers = request.raw.headers;
        const length = headers['content-length'];
        // With an Idempotency-Key, the body is hashed as the service reads it (contract 10.4).
        const source =
          headers['idempotency-key'] === undefined
            ? payload
            : fingerprintWhileStreaming(
                request.raw,
                payload,
                { method: request.method, url: request.url, contentType: headers['content-type'] },
                { bytes: bodyLimitBytes, error: () => new PayloadTooLargeError(bodyLimitBytes) },
              );
        let stream: Readable | undefined;
        uploads.set(request.raw, {
          // Opened by the service once the guards and the media type have passed.
          get stream() {
            return (stream ??= readAhead(source, bodyLimitBytes));
          },
          contentType: headers['content-type'],
          contentLength: length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined,
          hasBody: !isBodiless(headers),
        });
        delete headers['content-type'];
        delete headers['content-length'];
        delete headers['transfer-encoding'];
      }
      done(null, payload);
    },
  );
}

/**
 * Takes the body off the socket as fast as it arrives, ahead of the reader (at most `limit` bytes in
 * memory): a large export is received within REQUEST_TIMEOUT_MS even when its staging takes longer,
 * instead of a 408 for a body within SYNC_BODY_LIMIT_BYTES. An error of the source (a client that
 * aborts, the limit passed) reaches the reader.
 */
function readAhead(source: Readable, limit: number): Readable {
  const ahead = new PassThrough({ highWaterMark: limit });
  pipeline(source, ahead, () => undefined);
  return ahead;
}

/** The {@link SyncUpload} of the current request (the sync route only). */
export const Upload = createParamDecorator((_: unknown, ctx: ExecutionContext): SyncUpload | undefined => {
  return uploads.get(ctx.switchToHttp().getRequest<FastifyRequest>().raw);
});

const CSV_EXAMPLE = 'email,firstName,lastName,department\nada.lovelace@example.com,Ada,Lovelace,Platform\n';

/**
 * The OpenAPI request body of the sync route: the JSON schema for application/json and a CSV text
 * for text/csv (Nest's decorators give every consumed type the same schema).
 */
export function documentSyncBody(document: { paths: Record<string, Record<string, unknown>> }, bodyLimitBytes: number): void {
  const post = document.paths[SYNC_JOBS_ROUTE]?.post as { requestBody?: { content?: Record<string, unknown> } } | undefined;
  const content = post?.requestBody?.content;
  if (!content) return;
  content['text/csv'] = {
    schema: {
      type: 'string',
      maxLength: bodyLimitBytes,
      description: 'UTF-8; comma or semicolon separated; a header row of Opsera person field names; options in the query string.',
      example: CSV_EXAMPLE,
    },
  };
}
