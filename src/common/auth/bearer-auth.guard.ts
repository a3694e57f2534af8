import { Inject, Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { isErrorLike } from '../../database/database-errors.js';
import { UnauthorizedError } from '../errors/domain-errors.js';
import { BEARER_STRATEGY_NAME, IS_PUBLIC_KEY } from './auth.constants.js';

/**
 * Global authentication guard: every route needs a valid token unless it is marked @Public(). It runs
 * this application's own bearer strategy, registered under `strategyName` (one registry serves every
 * application of the process; see BearerStrategy).
 */
@Injectable()
export class BearerAuthGuard extends AuthGuard() {
  constructor(
    private readonly reflector: Reflector,
    @Inject(BEARER_STRATEGY_NAME) strategyName: string,
  ) {
    super({ defaultStrategy: strategyName, session: false });
  }

  override canActivate(context: ExecutionContext) {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()])) return true;
    return super.canActivate(context);
  }

  override handleRequest<T>(err: unknown, user: T | false, info: unknown): T {
    // A database failure during the lookup must surface as such (503), never as a 401.
    if (err) throw isErrorLike(err) ? err : new Error('authentication failed');
    if (!user) {
      const presented = typeof info === 'string' && info.includes('invalid_token');
      throw new UnauthorizedError(
        presented ? 'The token is invalid, expired or revoked.' : 'Authentication required: send the header Authorization: Bearer <token>.',
        presented,
      );
    }
    return user;
  }
}
