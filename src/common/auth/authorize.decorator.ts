import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { ApiProblem } from '../errors/api-problem.decorator.js';
import { AUTHORIZE_KEY, IS_PUBLIC_KEY } from './auth.constants.js';
import type { Scope } from './scopes.js';
import type { SiteRole } from './site-roles.js';

export interface AuthorizeOptions {
  scope: Scope;
  minRole: SiteRole;
  /**
   * A stronger role needed when a boolean query parameter is true, e.g. `force` on deletes:
   * `{ query: 'force', minRole: SiteRole.Administrator }`.
   */
  escalate?: { query: string; minRole: SiteRole };
}

export const BEARER_SCHEME = 'bearer';

/**
 * The one security decorator of a route: required scope and site role (read by PermissionsGuard),
 * plus the matching OpenAPI security requirement and 401/403/429/503 responses.
 */
export function Authorize(options: AuthorizeOptions): MethodDecorator & ClassDecorator {
  const roleText = options.escalate
    ? `Requires scope \`${options.scope}\` and role ${options.minRole} or higher (${options.escalate.minRole} or higher with ${options.escalate.query}=true).`
    : `Requires scope \`${options.scope}\` and role ${options.minRole} or higher.`;
  return applyDecorators(
    SetMetadata(AUTHORIZE_KEY, options),
    ApiBearerAuth(BEARER_SCHEME),
    ApiProblem(401, 'Missing, unknown, expired or revoked token.'),
    ApiProblem(403, `The token lacks the scope or role. ${roleText}`),
    ApiProblem(
      429,
      'Rate limit exceeded (see Retry-After): of the token, or, without a valid token, of the client address (UNAUTH_RATE_LIMIT).',
    ),
    ApiProblem(503, 'Database unavailable (see Retry-After).'),
  );
}

/** Opts a route out of authentication (health, docs). Everything else requires a token. */
export const Public = () => SetMetadata(IS_PUBLIC_KEY, true);
