import { applyDecorators, Injectable, SetMetadata, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiExtension } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { catchError, defer, mergeMap, of, type Observable } from 'rxjs';
import type { Principal } from '../auth/principal.js';
import { tagOf } from '../concurrency/entity-tag.js';
import { parseIdempotencyKey, requestFingerprint } from './idempotency-key.js';
import { IdempotencyService } from './idempotency.service.js';
import { streamedBodyOf } from './streamed-body.js';

export const IDEMPOTENT_KEY = 'organigram:idempotent';
/** OpenAPI operation marker, replaced by the documented header, responses and problems (then removed). */
export const IDEMPOTENT_EXTENSION = 'x-organigram-idempotent';
/** The answer headers a replay repeats. */
const REPLAYED_HEADERS = ['Location', 'ETag'] as const;

/**
 * Marks a creating POST as honouring `Idempotency-Key` (contract section 10.4): one line on the route
 * (people, the 4HSE creates, and later webhooks and sync jobs). The global
 * {@link IdempotencyInterceptor} does the rest; apply it under `@Authorize`, whose token scopes the key.
 */
export function Idempotent() {
  return applyDecorators(SetMetadata(IDEMPOTENT_KEY, true), ApiExtension(IDEMPOTENT_EXTENSION, true));
}

/**
 * Global, for routes marked {@link Idempotent} that receive the header: claims the key before the
 * handler runs (guards have authenticated the token by then), replays a finished first answer with
 * `Idempotent-Replayed: true` without running the handler, records a 2xx answer before it is sent,
 * and frees the key when the request fails (a 4xx or 5xx writes nothing, so a repeat may run).
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly idempotency: IdempotencyService,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (!this.reflector.get<boolean>(IDEMPOTENT_KEY, context.getHandler())) return next.handle();
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: Principal }>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const raw = request.headers['idempotency-key'];
    if (raw === undefined || !request.user) return next.handle();
    const tokenId = request.user.tokenId;
    // A body streamed to the handler (bulk sync) is fingerprinted while it is read.
    const streamed = streamedBodyOf(request.raw);
    return defer(async () => {
      const ref = { tokenId, key: parseIdempotencyKey(raw) };
      return streamed
        ? this.idempotency.beginStreamed(ref, () => streamed.fingerprint())
        : this.idempotency.begin(ref, requestFingerprint(request.method, request.url, request.body));
    }).pipe(
      mergeMap((claim) => {
        if (claim.kind === 'replay') {
          reply.status(claim.answer.status);
          for (const [name, value] of Object.entries(claim.answer.headers)) reply.header(name, value);
          reply.header('Idempotent-Replayed', 'true');
          return of(JSON.parse(claim.answer.body) as unknown);
        }
        return next.handle().pipe(
          mergeMap(async (body: unknown) => {
            const headers: Record<string, string> = {};
            for (const name of REPLAYED_HEADERS) {
              const value = name === 'ETag' ? (tagOf(body) ?? reply.getHeader(name)) : reply.getHeader(name);
              if (value !== undefined) headers[name] = String(value);
            }
            await this.idempotency.complete(
              claim,
              { status: reply.statusCode, headers, body: JSON.stringify(body) ?? 'null' },
              streamed && (() => streamed.fingerprint()),
            );
            return body;
          }),
          catchError((error: unknown) =>
            defer(async () => {
              await this.idempotency.release(claim);
              throw error;
            }),
          ),
        );
      }),
    );
  }
}
