import 'reflect-metadata';
import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import { UnauthorizedError } from '../errors/domain-errors.js';
import { IS_PUBLIC_KEY } from './auth.constants.js';
import { BearerAuthGuard } from './bearer-auth.guard.js';
import type { Principal } from './principal.js';
import { Scope } from './scopes.js';
import { SiteRole } from './site-roles.js';

const stubReflector = (metadata: Record<string, unknown>) =>
  ({ getAllAndOverride: (key: string) => metadata[key] }) as unknown as Reflector;

const user: Principal = {
  tokenId: '00000000-0000-4000-8000-000000000001',
  name: 'ci',
  role: SiteRole.Viewer,
  scopes: [Scope.Api],
  projectId: null,
};

function unauthorized(err: unknown, found: Principal | false, info: unknown): UnauthorizedError {
  try {
    new BearerAuthGuard(stubReflector({}), 'bearer#test').handleRequest(err, found, info);
  } catch (error) {
    expect(error).toBeInstanceOf(UnauthorizedError);
    return error as UnauthorizedError;
  }
  throw new Error('expected handleRequest to throw');
}

describe('BearerAuthGuard', () => {
  describe('canActivate', () => {
    it('lets a @Public() route through without running passport', async () => {
      const context = {
        getHandler: () => undefined,
        getClass: () => undefined,
        switchToHttp: () => {
          throw new Error('the request must not be read on a public route');
        },
      } as unknown as ExecutionContext;
      await expect(
        Promise.resolve(new BearerAuthGuard(stubReflector({ [IS_PUBLIC_KEY]: true }), 'bearer#test').canActivate(context)),
      ).resolves.toBe(true);
    });
  });

  describe('handleRequest', () => {
    const guard = new BearerAuthGuard(stubReflector({}), 'bearer#test');

    it('returns the authenticated principal', () => {
      expect(guard.handleRequest(null, user, undefined)).toBe(user);
    });

    it('rethrows an error from the strategy as is, so a database failure is not turned into a 401', () => {
      const failure = new Error('connect ECONNREFUSED 127.0.0.1:5432');
      expect(() => guard.handleRequest(failure, false, undefined)).toThrow(failure);
      expect(() => guard.handleRequest(failure, user, undefined)).toThrow(failure);
    });

    it('wraps a thrown non-Error value in an Error that is not a 401', () => {
      let thrown: unknown;
      try {
        guard.handleRequest('boom', false, undefined);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(Error);
      expect(thrown).not.toBeInstanceOf(UnauthorizedError);
    });

    it('answers 401 with a plain Bearer challenge when no token was presented', () => {
      const error = unauthorized(null, false, 'Bearer realm="organigram"');
      expect(error.status).toBe(401);
      expect(error.headers()).toEqual({ 'WWW-Authenticate': 'Bearer realm="organigram"' });
      expect(error.message).toContain('Authorization: Bearer');
    });

    it('answers 401 with a plain Bearer challenge when passport gives no info at all', () => {
      expect(unauthorized(null, false, undefined).headers()).toEqual({ 'WWW-Authenticate': 'Bearer realm="organigram"' });
    });

    it('answers 401 with error="invalid_token" when a token was presented but refused', () => {
      const error = unauthorized(null, false, 'Bearer realm="organigram", error="invalid_token"');
      expect(error.status).toBe(401);
      expect(error.headers()).toEqual({ 'WWW-Authenticate': 'Bearer realm="organigram", error="invalid_token"' });
      expect(error.message).toMatch(/invalid, expired or revoked/);
    });
  });
});
