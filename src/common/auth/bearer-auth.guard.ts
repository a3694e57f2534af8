import { Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { isErrorLike } from '../../database/database-errors.js';
import { UnauthorizedError } from '../errors/domain-errors.js';
import { BEARER_STRATEGY, IS_PUBLIC_KEY } from './auth.constants.js';

/** Global authentication guard: every route needs a valid token unless it is marked @Public(). */
@Injectable()
export class BearerAuthGuard extends AuthGuard(BEARER_STRATEGY) {
  constructor(private readonly reflector: Reflector) {
    super();
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
