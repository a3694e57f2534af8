import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiResponse } from '@nestjs/swagger';
import { ProblemDetails } from '../errors/problem.js';
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
    ApiResponse({ status: 401, description: 'Missing, unknown, expired or revoked token.', type: ProblemDetails }),
    ApiResponse({ status: 403, description: `The token lacks the scope or role. ${roleText}`, type: ProblemDetails }),
    ApiResponse({ status: 429, description: 'Rate limit of the token exceeded (see Retry-After).', type: ProblemDetails }),
    ApiResponse({ status: 503, description: 'Database unavailable (see Retry-After).', type: ProblemDetails }),
  );
}

/** Opts a route out of authentication (health, docs). Everything else requires a token. */
export const Public = () => SetMetadata(IS_PUBLIC_KEY, true);
