import { createParamDecorator, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { map, type Observable } from 'rxjs';
import { edgePipe } from '../validation/edge-pipe.js';
import { parsePreconditions, parseTagCondition, tagOf, weakMatch, type Preconditions } from './entity-tag.js';

/**
 * The HTTP side of contract section 10.4's entity tags: the `ETag` header of every tagged answer,
 * `If-None-Match` on reads (304), the parsed `If-Match` / `If-None-Match` handed to the services for
 * writes, and the OpenAPI markers that complete-document.ts turns into documented headers.
 */

/** OpenAPI operation markers, replaced by the documented headers and responses (then removed). */
export const ETAG_EXTENSION = 'x-organigram-etag';
export const PRECONDITIONS_EXTENSION = 'x-organigram-preconditions';

const NOT_MODIFIED = Symbol('organigram.notModified');
type MarkedRequest = FastifyRequest & { [NOT_MODIFIED]?: boolean };

/**
 * Documents a route that answers one entity with its `ETag` (a GET also: `If-None-Match` and 304).
 * The tag itself comes from the answer body ({@link withEntityTag}), through the global interceptor.
 */
export function EntityTagged() {
  return ApiExtension(ETAG_EXTENSION, true);
}

const RawPreconditions = createParamDecorator(
  (_: unknown, ctx: ExecutionContext) => {
    const headers = ctx.switchToHttp().getRequest<FastifyRequest>().headers;
    return { ifMatch: headers['if-match'], ifNoneMatch: headers['if-none-match'] };
  },
  [
    // Documents If-Match, If-None-Match and the 412 on the route the parameter belongs to.
    (target: object, key?: string | symbol) => {
      if (key === undefined) return;
      const descriptor = Object.getOwnPropertyDescriptor(target, key);
      if (descriptor) ApiExtension(PRECONDITIONS_EXTENSION, true)(target, key, descriptor);
    },
  ],
);

/**
 * The `If-Match` / `If-None-Match` of a write, parsed at the edge (a malformed one is a 400 naming
 * the header). The service checks it with `assertPreconditions` under the write's row lock.
 */
export const RequestPreconditions = () => RawPreconditions(undefined, edgePipe<Preconditions>(parsePreconditions));

/**
 * Global: sets `ETag` from a tagged answer body; on a GET whose `If-None-Match` matches it (weak
 * comparison, RFC 9110 section 13.1.2), marks the answer "not modified" for {@link installConditionalGet}.
 * Routes whose answers carry no tag pass through untouched.
 */
@Injectable()
export class EntityTagInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<MarkedRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return next.handle().pipe(
      map((body: unknown) => {
        const tag = tagOf(body);
        if (tag === undefined) return body;
        const ifNoneMatch = request.headers['if-none-match'];
        const read = request.method === 'GET' || request.method === 'HEAD';
        // Parsed before the header is set: a malformed If-None-Match is a 400 without an ETag.
        const notModified = read && ifNoneMatch !== undefined && weakMatch(parseTagCondition(ifNoneMatch, 'If-None-Match'), tag);
        reply.header('ETag', tag);
        if (notModified) request[NOT_MODIFIED] = true;
        return body;
      }),
    );
  }
}

/**
 * Turns an answer marked "not modified" into `304 Not Modified` without a body (RFC 9110 section
 * 15.4.5: the ETag and the other headers stay). Nest sets a route's status after its interceptors,
 * so the status is changed here, just before the answer is written.
 */
export function installConditionalGet(fastify: FastifyInstance): void {
  fastify.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (e: null, p: unknown) => void) => {
    if ((request as MarkedRequest)[NOT_MODIFIED] && reply.statusCode === 200) {
      reply.code(304);
      reply.removeHeader('content-type');
      reply.removeHeader('content-length');
      done(null, null);
      return;
    }
    done(null, payload);
  });
}
