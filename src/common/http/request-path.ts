import type { FastifyRequest } from 'fastify';

/** The request path without its query string: query strings can carry tokens, so never echo them. */
export function requestPath(request: Pick<FastifyRequest, 'url'>): string {
  const url = request.url ?? '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
