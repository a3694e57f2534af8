import type { OpenAPIObject } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE } from '../errors/problem.js';
import { CONCURRENCY_HEADERS, CONCURRENCY_PARAMETERS, documentConcurrency } from '../concurrency/openapi.js';

type Json = Record<string, unknown>;
interface Operation {
  parameters?: { in?: string; name?: string; required?: boolean; $ref?: string }[];
  requestBody?: unknown;
  responses?: Record<string, Json>;
  security?: unknown[];
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'] as const;
const PROBLEM = { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/ProblemDetails' } } };
const int = (description: string) => ({ description, schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 2_147_483_647 } });

/** Response headers sent by cross-cutting code (guards, CORS), declared once and referenced. */
const HEADERS = {
  'X-RateLimit-Limit': int('Requests allowed per window: per token, or per client address for requests without a valid token.'),
  'X-RateLimit-Remaining': int('Requests left in the current window.'),
  'X-RateLimit-Reset': int('Seconds until the window resets.'),
  'Retry-After': int('Seconds to wait before retrying.'),
  'Access-Control-Allow-Origin': { description: 'CORS: "*" or the listed origin.', schema: { type: 'string', maxLength: 2048 } },
} as const;
const ref = (name: keyof typeof HEADERS) => ({ $ref: `#/components/headers/${name}` });

function operations(document: OpenAPIObject): [string, Operation, string][] {
  const out: [string, Operation, string][] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = (item as Record<string, Operation | undefined>)[method];
      if (operation) out.push([path, operation, method]);
    }
  }
  return out;
}

/**
 * Completes what @nestjs/swagger cannot see from the controllers, so the document matches what is sent:
 * - path parameters exactly where the template has them, and required (one handler serves both
 *   `/view/{id}` and `/view?id=`);
 * - 413 and 415 on every operation (Fastify's body parser answers them before any controller);
 * - 500 on every operation (the problem shape with a requestId);
 * - 408 and 431 on every operation (Node answers them before any route: slow or oversized requests);
 * - the rate-limit headers on every 2xx/4xx of a secured operation, Retry-After on 429 and 503, and
 *   the CORS header on every response;
 * - ETag, If-Match, If-None-Match, Idempotency-Key and their 304/409/412/422 where a route's
 *   decorators marked them (contract section 10.4, ../concurrency/openapi.ts).
 */
export function completeDocument(document: OpenAPIObject): OpenAPIObject {
  const components = document.components ?? (document.components = {});
  components.headers = { ...(components.headers ?? {}), ...HEADERS, ...(CONCURRENCY_HEADERS as unknown as Record<string, never>) };
  components.parameters = { ...(components.parameters ?? {}), ...CONCURRENCY_PARAMETERS };
  for (const [path, operation, method] of operations(document)) {
    documentConcurrency(method, operation as never);
    if (Array.isArray(operation.parameters)) {
      operation.parameters = operation.parameters
        .filter((p) => p.in !== 'path' || path.includes(`{${p.name}}`))
        .map((p) => (p.in === 'path' ? { ...p, required: true } : p));
    }
    const responses = (operation.responses ??= {});
    // Any request may carry a body, even where none is expected: Fastify's parser judges it first.
    responses['413'] ??= { description: 'The request body is larger than the configured limit.', content: PROBLEM };
    responses['415'] ??= { description: 'The request body is not application/json.', content: PROBLEM };
    responses['500'] ??= { description: 'Unexpected error; quote the requestId when reporting it.', content: PROBLEM };
    responses['431'] ??= { description: 'The request line or headers are larger than allowed.', content: PROBLEM };
    // Node answers a request that has not arrived completely within REQUEST_TIMEOUT_MS, then closes.
    responses['408'] ??= {
      description: 'The request did not arrive completely within REQUEST_TIMEOUT_MS; the connection is closed.',
      content: PROBLEM,
    };
    const secured = Array.isArray(operation.security) && operation.security.length > 0;
    for (const [status, response] of Object.entries(responses)) {
      const headers = ((response.headers as Json | undefined) ??= {});
      headers['Access-Control-Allow-Origin'] ??= ref('Access-Control-Allow-Origin');
      if (status === '429' || status === '503') headers['Retry-After'] ??= ref('Retry-After');
      if (secured && /^[24]/.test(status)) {
        headers['X-RateLimit-Limit'] ??= ref('X-RateLimit-Limit');
        headers['X-RateLimit-Remaining'] ??= ref('X-RateLimit-Remaining');
        headers['X-RateLimit-Reset'] ??= ref('X-RateLimit-Reset');
      }
    }
  }
  return document;
}
