import 'reflect-metadata';
import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import type { AppConfig } from '../../config/app-config.js';
import { UnauthorizedError } from '../errors/domain-errors.js';
import { IS_PUBLIC_KEY } from './auth.constants.js';
import { BearerAuthGuard, type Authenticator } from './bearer-auth.guard.js';
import type { Principal } from './principal.js';
import { Scope } from './scopes.js';
import { SiteRole } from './site-roles.js';
import { generateToken, hashToken } from './token-format.js';

const stubReflector = (metadata: Record<string, unknown>) =>
  ({ getAllAndOverride: (key: string) => metadata[key] }) as unknown as Reflector;

const user: Principal = {
  tokenId: '00000000-0000-4000-8000-000000000001',
  name: 'ci',
  role: SiteRole.Viewer,
  scopes: [Scope.Api],
  projectId: null,
};
const token = generateToken();

/** An authenticator that knows `token` only, and records the hashes it was asked about. */
function authenticator(
  answer: (hash: string) => Promise<Principal | null> = (hash) => Promise.resolve(hash === hashToken(token) ? user : null),
) {
  const asked: string[] = [];
  const stub: Authenticator = {
    authenticateHash: (hash) => {
      asked.push(hash);
      return answer(hash);
    },
  };
  return { stub, asked };
}

function guardWith(stub: Authenticator, compat = false, metadata: Record<string, unknown> = {}) {
  return new BearerAuthGuard(stubReflector(metadata), stub, { auth: { compat } } as unknown as AppConfig);
}

function contextOf(request: object): ExecutionContext {
  return {
    getHandler: () => undefined,
    getClass: () => undefined,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
}

async function refusal(guard: BearerAuthGuard, request: object): Promise<UnauthorizedError> {
  try {
    await guard.canActivate(contextOf(request));
  } catch (error) {
    expect(error).toBeInstanceOf(UnauthorizedError);
    return error as UnauthorizedError;
  }
  throw new Error('expected canActivate to refuse');
}

describe('BearerAuthGuard', () => {
  it('lets a @Public() route through without reading the request', async () => {
    const context = {
      getHandler: () => undefined,
      getClass: () => undefined,
      switchToHttp: () => {
        throw new Error('the request must not be read on a public route');
      },
    } as unknown as ExecutionContext;
    const { stub } = authenticator();
    await expect(Promise.resolve(guardWith(stub, false, { [IS_PUBLIC_KEY]: true }).canActivate(context))).resolves.toBe(true);
  });

  it('sets request.user to the principal of a valid bearer token, asking by its hash once', async () => {
    const { stub, asked } = authenticator();
    const request: { headers: Record<string, string>; user?: Principal } = { headers: { authorization: `Bearer ${token}` } };
    await expect(guardWith(stub).canActivate(contextOf(request))).resolves.toBe(true);
    expect(request.user).toBe(user);
    expect(asked).toEqual([hashToken(token)]);
  });

  it('answers 401 with a plain Bearer challenge when no token was presented, without a lookup', async () => {
    const { stub, asked } = authenticator();
    const error = await refusal(guardWith(stub), { headers: {} });
    expect(error.status).toBe(401);
    expect(error.headers()).toEqual({ 'WWW-Authenticate': 'Bearer realm="organigram"' });
    expect(error.message).toContain('Authorization: Bearer');
    expect(asked).toEqual([]);
  });

  it('answers 401 with error="invalid_token" for an unknown token', async () => {
    const { stub, asked } = authenticator();
    const other = generateToken();
    const error = await refusal(guardWith(stub), { headers: { authorization: `Bearer ${other}` } });
    expect(error.headers()).toEqual({ 'WWW-Authenticate': 'Bearer realm="organigram", error="invalid_token"' });
    expect(error.message).toMatch(/invalid, expired or revoked/);
    expect(asked).toEqual([hashToken(other)]);
  });

  it.each([['Basic dXNlcjpwYXNz'], ['Bearer'], [`Bearer ${token} extra`], [`Bearer ${token.slice(0, -1)}x`], ['ogm_short']])(
    'answers 401 invalid_token without a lookup for the unreadable or malformed credential %p',
    async (authorization) => {
      const { stub, asked } = authenticator();
      const error = await refusal(guardWith(stub), { headers: { authorization } });
      expect(error.headers()).toEqual({ 'WWW-Authenticate': 'Bearer realm="organigram", error="invalid_token"' });
      expect(asked).toEqual([]);
    },
  );

  it('never reads access_token from the query or the body (passport-http-bearer would)', async () => {
    const { stub } = authenticator();
    const error = await refusal(guardWith(stub, true), { headers: {}, query: { access_token: token }, body: { access_token: token } });
    expect(error.headers()).toEqual({ 'WWW-Authenticate': 'Bearer realm="organigram"' });
  });

  it('with the compatibility switch, accepts ?access-token= and removes it from the query', async () => {
    const { stub } = authenticator();
    const request: { headers: object; query: Record<string, unknown>; user?: Principal } = {
      headers: {},
      query: { 'access-token': token, q: 'x' },
    };
    await expect(guardWith(stub, true).canActivate(contextOf(request))).resolves.toBe(true);
    expect(request.user).toBe(user);
    expect(request.query).toEqual({ q: 'x' });
  });

  it('rethrows a failure of the lookup as is, so a database failure is not turned into a 401', async () => {
    const failure = new Error('connect ECONNREFUSED 127.0.0.1:5432');
    const { stub } = authenticator(() => Promise.reject(failure));
    await expect(guardWith(stub).canActivate(contextOf({ headers: { authorization: `Bearer ${token}` } }))).rejects.toBe(failure);
  });

  it('wraps a rejected non-Error value in an Error that is not a 401', async () => {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a non-Error rejection is the case under test
    const { stub } = authenticator(() => Promise.reject(Object.freeze({ boom: true })));
    const thrown = await Promise.resolve(guardWith(stub).canActivate(contextOf({ headers: { authorization: `Bearer ${token}` } }))).catch(
      (error: unknown) => error,
    );
    expect(thrown).toBeInstanceOf(Error);
    expect(thrown).not.toBeInstanceOf(UnauthorizedError);
  });
});
