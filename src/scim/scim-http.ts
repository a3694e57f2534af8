import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendProblem } from '../common/errors/problem-details.filter.js';
import { isScimPath, SCIM_BASE_PATH, SCIM_MEDIA_TYPE, scimMediaType } from '../common/errors/scim-error.js';
import { requestPath } from '../common/http/request-path.js';

/**
 * The HTTP edges of SCIM that sit before Nest's routing (contract sections 13.1 and 13.7):
 * - `application/scim+json` request bodies, parsed by Fastify's own JSON parser (same body limit,
 *   same prototype-poisoning rules), and only under /scim/v2: elsewhere it stays a 415;
 * - answers under /scim/v2 in `application/scim+json` (or `application/json` when the request's
 *   Accept names only that);
 * - 405 with `Allow` for a method a SCIM path does not serve (Fastify alone would answer 404).
 */
const READ_ONLY = ['GET', 'HEAD'];
const COLLECTION = ['GET', 'HEAD', 'POST'];
const RESOURCE = ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE'];

const ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** Each SCIM route path (Fastify syntax) and the methods it serves. */
export const SCIM_ROUTES: Record<string, string[]> = {
  '/ServiceProviderConfig': READ_ONLY,
  '/ResourceTypes': READ_ONLY,
  '/ResourceTypes/:name': READ_ONLY,
  '/Schemas': READ_ONLY,
  '/Schemas/:urn': READ_ONLY,
  '/Users': COLLECTION,
  '/Users/:id': RESOURCE,
  '/Groups': COLLECTION,
  '/Groups/:id': RESOURCE,
  // Not offered (501); other methods than POST: 405.
  '/Bulk': ['POST'],
  '/.search': ['POST'],
  '/Users/.search': ['POST'],
  '/Groups/.search': ['POST'],
};

export function installScim(fastify: FastifyInstance): void {
  const json = fastify.getDefaultJsonParser('error', 'error');
  fastify.addContentTypeParser(SCIM_MEDIA_TYPE, { parseAs: 'string' }, (request, body, done) => {
    if (!isScimPath(requestPath(request))) {
      done(Object.assign(new Error('unsupported media type'), { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' }), undefined);
      return;
    }
    void json(request, body as string, done);
  });

  fastify.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (e: null, p: unknown) => void) => {
    if (isScimPath(requestPath(request))) {
      const type = reply.getHeader('content-type');
      if (typeof type === 'string' && type.startsWith('application/json')) {
        reply.header('content-type', `${scimMediaType(request.headers.accept)}; charset=utf-8`);
      }
    }
    done(null, payload);
  });

  for (const [path, allowed] of Object.entries(SCIM_ROUTES)) {
    const refused = ALL_METHODS.filter((m) => !allowed.includes(m));
    fastify.route({
      method: refused,
      url: `${SCIM_BASE_PATH}${path}`,
      handler: (request: FastifyRequest, reply: FastifyReply) => {
        const allow = allowed.join(', ');
        sendProblem(reply, request, {
          status: 405,
          slug: 'method-not-allowed',
          title: 'Method not allowed',
          detail: `${request.method} is not supported on ${SCIM_BASE_PATH}${path}; allowed: ${allow}.`,
          headers: { Allow: allow },
        });
      },
    });
  }
}

/** The absolute URL of the SCIM base (`https://host/scim/v2`), for `meta.location` and `Location`. */
export function scimBaseUrl(request: Pick<FastifyRequest, 'protocol' | 'host'>): string {
  return `${request.protocol}://${request.host}${SCIM_BASE_PATH}`;
}
