import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ForbiddenError } from '../errors/domain-errors.js';
import { parseBoolean } from '../validation/validation.js';
import { AUTHORIZE_KEY, IS_PUBLIC_KEY } from './auth.constants.js';
import type { AuthorizeOptions } from './authorize.decorator.js';
import type { Principal } from './principal.js';
import { roleAtLeast } from './site-roles.js';

/**
 * Global authorization guard (runs after authentication): checks the route's @Authorize() scope and
 * site role. A non-public route without @Authorize() is refused: deny by default.
 */
@Injectable()
export class PermissionsGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets)) return true;
    const options = this.reflector.getAllAndOverride<AuthorizeOptions | undefined>(AUTHORIZE_KEY, targets);
    if (!options) throw new ForbiddenError('This route has no authorization policy and is closed.');
    const request = context.switchToHttp().getRequest<{ user?: Principal; query?: Record<string, unknown> }>();
    const principal = request.user;
    if (!principal) throw new ForbiddenError('No authenticated principal.');
    if (!principal.scopes.includes(options.scope)) {
      throw new ForbiddenError(`The token lacks the required scope: ${options.scope}.`);
    }
    let required = options.minRole;
    if (options.escalate && parseBoolean(request.query?.[options.escalate.query]) === true) {
      required = options.escalate.minRole;
    }
    if (!roleAtLeast(principal.role, required)) {
      const why = required === options.minRole ? '' : ` with ${options.escalate?.query}=true`;
      throw new ForbiddenError(`This action${why} requires the site role ${required} or higher; the token has ${principal.role}.`);
    }
    return true;
  }
}
