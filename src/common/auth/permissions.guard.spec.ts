import 'reflect-metadata';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ForbiddenError } from '../errors/domain-errors.js';
import { AUTHORIZE_KEY, IS_PUBLIC_KEY } from './auth.constants.js';
import { Authorize, Public, type AuthorizeOptions } from './authorize.decorator.js';
import { PermissionsGuard } from './permissions.guard.js';
import type { Principal } from './principal.js';
import { Scope } from './scopes.js';
import { SiteRole } from './site-roles.js';

const READ: AuthorizeOptions = { scope: Scope.Api, minRole: SiteRole.Viewer };
const WRITE: AuthorizeOptions = { scope: Scope.Api, minRole: SiteRole.PowerUser };
const DELETE: AuthorizeOptions = { ...WRITE, escalate: { query: 'force', minRole: SiteRole.Administrator } };

/** A Reflector that answers from a fixed metadata map, whatever the targets. */
function stubReflector(metadata: Record<string, unknown>): Reflector {
  return { getAllAndOverride: (key: string) => metadata[key] } as unknown as Reflector;
}

function principal(role: SiteRole, scopes: readonly string[] = [Scope.Api]): Principal {
  return { tokenId: '00000000-0000-4000-8000-000000000001', name: 'test', role, scopes: scopes as Scope[], projectId: null };
}

/** An HTTP execution context built by hand: a handler, a class and a request. */
type Request = { user?: Principal; query?: Record<string, unknown> };

function httpContext(request: Request, handler: () => unknown = () => undefined, cls: abstract new () => unknown = class {}) {
  return {
    getHandler: () => handler,
    getClass: () => cls,
    getType: () => 'http',
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => ({}), getNext: () => undefined }),
  } as unknown as ExecutionContext;
}

function check(metadata: Record<string, unknown>, request: { user?: Principal; query?: Record<string, unknown> }): boolean {
  return new PermissionsGuard(stubReflector(metadata)).canActivate(httpContext(request));
}

function refusal(metadata: Record<string, unknown>, request: { user?: Principal; query?: Record<string, unknown> }): ForbiddenError {
  try {
    check(metadata, request);
  } catch (error) {
    expect(error).toBeInstanceOf(ForbiddenError);
    return error as ForbiddenError;
  }
  throw new Error('expected the guard to refuse the request');
}

describe('PermissionsGuard', () => {
  it('lets a public route through without a principal', () => {
    expect(check({ [IS_PUBLIC_KEY]: true }, {})).toBe(true);
  });

  it('refuses a non-public route that has no @Authorize policy (deny by default)', () => {
    const error = refusal({}, { user: principal(SiteRole.OpseraAdministrator) });
    expect(error.status).toBe(403);
    expect(error.message).toMatch(/no authorization policy/);
  });

  it('refuses a protected route when no principal was authenticated', () => {
    expect(refusal({ [AUTHORIZE_KEY]: READ }, {}).status).toBe(403);
  });

  it('allows a token that has the scope and exactly the minimum role', () => {
    expect(check({ [AUTHORIZE_KEY]: READ }, { user: principal(SiteRole.Viewer) })).toBe(true);
    expect(check({ [AUTHORIZE_KEY]: WRITE }, { user: principal(SiteRole.PowerUser) })).toBe(true);
  });

  it('allows a stronger role than the minimum', () => {
    expect(check({ [AUTHORIZE_KEY]: WRITE }, { user: principal(SiteRole.OpseraAdministrator) })).toBe(true);
  });

  it('refuses a token without the required scope and names the scope', () => {
    const error = refusal({ [AUTHORIZE_KEY]: READ }, { user: principal(SiteRole.OpseraAdministrator, []) });
    expect(error.message).toContain('scope');
    expect(error.message).toMatch(/\bapi\b/);
  });

  it('refuses a token that has only other scopes, naming the missing one', () => {
    const error = refusal({ [AUTHORIZE_KEY]: READ }, { user: principal(SiteRole.Administrator, ['admin:read']) });
    expect(error.message).toMatch(/scope: api\b/);
  });

  it('refuses a role below the minimum, naming the required role and the role the token has', () => {
    const error = refusal({ [AUTHORIZE_KEY]: WRITE }, { user: principal(SiteRole.Viewer) });
    expect(error.message).toContain(SiteRole.PowerUser);
    expect(error.message).toContain(SiteRole.Viewer);
  });

  it.each(['true', '1', 'TRUE', true])('requires the escalated role when force=%p', (force) => {
    const error = refusal({ [AUTHORIZE_KEY]: DELETE }, { user: principal(SiteRole.PowerUser), query: { force } });
    expect(error.message).toContain(SiteRole.Administrator);
    expect(error.message).toContain('force=true');
    expect(check({ [AUTHORIZE_KEY]: DELETE }, { user: principal(SiteRole.Administrator), query: { force } })).toBe(true);
    expect(check({ [AUTHORIZE_KEY]: DELETE }, { user: principal(SiteRole.OpseraAdministrator), query: { force } })).toBe(true);
  });

  it.each(['false', '0', false, undefined])('needs only the base role when force=%p', (force) => {
    expect(check({ [AUTHORIZE_KEY]: DELETE }, { user: principal(SiteRole.PowerUser), query: { force } })).toBe(true);
    expect(refusal({ [AUTHORIZE_KEY]: DELETE }, { user: principal(SiteRole.Viewer), query: { force } }).message).toContain(
      SiteRole.PowerUser,
    );
  });

  it('does not escalate on a query parameter other than the one named', () => {
    expect(check({ [AUTHORIZE_KEY]: DELETE }, { user: principal(SiteRole.PowerUser), query: { historicize: 'true' } })).toBe(true);
  });

  it('never mentions the token id or name in a refusal', () => {
    const user = { ...principal(SiteRole.Viewer), name: 'secret-name' };
    const error = refusal({ [AUTHORIZE_KEY]: WRITE }, { user });
    expect(error.message).not.toContain(user.tokenId);
    expect(error.message).not.toContain('secret-name');
  });

  describe('with the real decorators and Reflector', () => {
    class Controller {
      @Authorize(DELETE)
      remove() {}

      @Public()
      health() {}

      undecorated() {}
    }
    const guard = new PermissionsGuard(new Reflector());
    const run = (handler: () => void, request: { user?: Principal; query?: Record<string, unknown> }) =>
      guard.canActivate(httpContext(request, handler, Controller));

    it('reads the policy @Authorize stored on the handler', () => {
      expect(run(Controller.prototype.remove, { user: principal(SiteRole.PowerUser), query: {} })).toBe(true);
      expect(() => run(Controller.prototype.remove, { user: principal(SiteRole.PowerUser), query: { force: 'true' } })).toThrow(
        ForbiddenError,
      );
    });

    it('lets @Public() handlers through and closes undecorated ones', () => {
      expect(run(Controller.prototype.health, {})).toBe(true);
      expect(() => run(Controller.prototype.undecorated, { user: principal(SiteRole.OpseraAdministrator) })).toThrow(ForbiddenError);
    });
  });
});
