import type { OpenAPIObject } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE } from '../common/errors/problem.js';
import { SCIM_BASE_PATH, SCIM_MEDIA_TYPE } from '../common/errors/scim-error.js';

type Json = Record<string, unknown>;
const SCIM_ERROR = { schema: { $ref: '#/components/schemas/ScimErrorDto' } };
/** Node answers these on the socket before any route exists: they stay problem details. */
const BEFORE_ROUTING = new Set(['408', '431']);

/**
 * Documents the SCIM routes as they are sent (contract sections 13.1 and 13.7): bodies in and out as
 * `application/scim+json` (and `application/json`), every error as the SCIM error body. Runs after
 * completeDocument, which adds the shared problem responses in the problem-details shape.
 */
export function documentScim(document: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths)) {
    if (!path.startsWith(SCIM_BASE_PATH)) continue;
    for (const operation of Object.values(item as Record<string, Json>)) {
      if (!operation || typeof operation !== 'object' || !('responses' in operation)) continue;
      const body = (operation.requestBody as { content?: Record<string, unknown> } | undefined)?.content;
      if (body?.['application/json']) body[SCIM_MEDIA_TYPE] = body['application/json'];
      for (const [status, response] of Object.entries(operation.responses as Record<string, { content?: Record<string, unknown> }>)) {
        const content = response.content;
        if (!content) continue;
        if (content[PROBLEM_CONTENT_TYPE] && !BEFORE_ROUTING.has(status)) {
          response.content = { [SCIM_MEDIA_TYPE]: SCIM_ERROR, 'application/json': SCIM_ERROR };
        } else if (content['application/json']) {
          response.content = { [SCIM_MEDIA_TYPE]: content['application/json'], 'application/json': content['application/json'] };
        }
      }
    }
  }
  return document;
}
