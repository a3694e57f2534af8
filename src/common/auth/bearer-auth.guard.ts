import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { isErrorLike } from '../../database/database-errors.js';
import { UnauthorizedError } from '../errors/domain-errors.js';
import { IS_PUBLIC_KEY } from './auth.constants.js';
import { presentedCredential } from './presented-credential.js';
import type { Principal } from './principal.js';
import { COMPAT_QUERY_PARAM, type TokenSource } from './token-extraction.js';

/** Injection token of the {@link Authenticator} (the tokens feature provides it). */
export const AUTHENTICATOR = 'organigram:authenticator';

/** Resolves a presented token, by its SHA-256, to its principal; null when unknown, expired or revoked. */
export interface Authenticator {
  authenticateHash(hash: string): Promise<Principal | null>;
}

const REQUIRED = 'Authentication required: send the header Authorization: Bearer <token>.';
const REFUSED = 'The token is invalid, expired or revoked.';

/**
 * Global authentication guard: every route needs a valid token unless it is marked @Public(). The
 * token is read only where {@link presentedToken} allows (never passport-http-bearer's `access_token`
 * query or body fields), and the answers are RFC 6750's: 401 with a plain `Bearer realm` challenge
 * when nothing was presented, with `error="invalid_token"` when a token (or an unreadable
 * Authorization header) was presented and refused. A database failure during the lookup surfaces as
 * such (503), never as a 401. The principal is `request.user`.
 *
 * It calls the {@link Authenticator} directly instead of passport + passport-http-bearer (issue 10:
 * passport's per-request context, closures and header re-parsing were about 3 % of a person read's CPU,
 * for the same verdicts).
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(AUTHENTICATOR) private readonly authenticator: Authenticator,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  canActivate(context: ExecutionContext): Promise<boolean> | boolean {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<TokenSource & { user?: Principal }>();
    const compat = this.config.auth.compat;
    const { presented, hash } = presentedCredential(request, compat);
    if (compat && request.query && typeof request.query === 'object') {
      // The compat parameter is a credential, not a filter: keep it away from query DTOs and logs.
      delete (request.query as Record<string, unknown>)[COMPAT_QUERY_PARAM];
    }
    if (!presented) throw new UnauthorizedError(REQUIRED, false);
    if (hash === undefined) throw new UnauthorizedError(REFUSED, true);
    return this.authenticator.authenticateHash(hash).then(
      (principal) => {
        if (!principal) throw new UnauthorizedError(REFUSED, true);
        request.user = principal;
        return true;
      },
      (error: unknown) => {
        throw isErrorLike(error) ? error : new Error('authentication failed');
      },
    );
  }
}
