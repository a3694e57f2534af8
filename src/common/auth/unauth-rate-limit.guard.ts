import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { TooManyRequestsError } from '../errors/domain-errors.js';
import { IS_PUBLIC_KEY } from './auth.constants.js';
import { extractToken } from './token-extraction.js';
import { hashToken, isWellFormedToken } from './token-format.js';

interface Window {
  start: number;
  count: number;
}

/** What the guard noted about a request, for {@link UnauthenticatedLimiter.authenticated}. */
interface Charge {
  key?: string;
  hash?: string;
}

/**
 * The client an unauthenticated budget belongs to: the address Fastify reports (X-Forwarded-For only
 * with TRUST_PROXY), an IPv4-mapped IPv6 address as IPv4, any other IPv6 address by its /64 (one
 * host usually holds a whole /64, so per-address buckets would be free to multiply).
 */
export function clientKey(ip: string): string {
  if (/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(ip)) return ip.slice(7);
  if (!ip.includes(':')) return ip;
  const [head, tail = ''] = ip.toLowerCase().split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/**
 * The per-address budget of requests that present no valid token (UNAUTH_RATE_LIMIT per
 * RATE_LIMIT_WINDOW_MS), fixed windows in memory. Every request to a protected route is charged to
 * its address *before* authentication, so a burst of forged (even checksum-valid) tokens costs at
 * most the budget in database lookups; a request that then authenticates is refunded. A token that
 * authenticated within the last window is let through without a charge, so a real caller behind the
 * address of an attacker keeps working (its token is still looked up and checked every time).
 */
@Injectable()
export class UnauthenticatedLimiter {
  private readonly windows = new Map<string, Window>();
  /** sha256 of tokens that authenticated recently -> when that was. */
  private readonly trusted = new Map<string, number>();
  private readonly charges = new WeakMap<object, Charge>();
  private nextSweep = 0;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Charges the request's address, or lets a recently authenticated token through; throws 429 over the budget. */
  admit(request: FastifyRequest, reply: FastifyReply): void {
    const { windowMs, unauthLimit } = this.config.rateLimit;
    const now = Date.now();
    this.sweep(now, windowMs);
    const token = extractToken(request, this.config.auth.compat);
    const hash = token !== undefined && isWellFormedToken(token) ? hashToken(token) : undefined;
    if (hash !== undefined && now - (this.trusted.get(hash) ?? -Infinity) < windowMs) {
      this.charges.set(request, { hash });
      return;
    }
    const key = clientKey(request.ip);
    let window = this.windows.get(key);
    if (!window || now - window.start >= windowMs) {
      window = { start: now, count: 0 };
      this.windows.set(key, window);
    }
    window.count++;
    const resetSeconds = Math.max(1, Math.ceil((window.start + windowMs - now) / 1000));
    reply.header('X-RateLimit-Limit', String(unauthLimit));
    reply.header('X-RateLimit-Remaining', String(Math.max(0, unauthLimit - window.count)));
    reply.header('X-RateLimit-Reset', String(resetSeconds));
    if (window.count > unauthLimit) throw new TooManyRequestsError(resetSeconds);
    this.charges.set(request, { key, hash });
  }

  /** The request authenticated: refund its address and trust its token for a window. */
  authenticated(request: object): void {
    const charge = this.charges.get(request);
    if (!charge) return;
    this.charges.delete(request);
    if (charge.hash !== undefined) this.trusted.set(charge.hash, Date.now());
    const window = charge.key === undefined ? undefined : this.windows.get(charge.key);
    if (window && window.count > 0) window.count--;
  }

  /** Drops expired windows and trust now and then, so memory follows the active clients only. */
  private sweep(now: number, windowMs: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + windowMs;
    for (const [key, window] of this.windows) if (now - window.start >= windowMs) this.windows.delete(key);
    for (const [hash, at] of this.trusted) if (now - at >= windowMs) this.trusted.delete(hash);
  }
}

/**
 * Runs before authentication (first of the global guards): requests beyond their address's
 * unauthenticated budget are a 429 before any database work. Public routes (health, docs) are not limited.
 */
@Injectable()
export class UnauthRateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly limiter: UnauthenticatedLimiter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (!this.config.rateLimit.enabled) return true;
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()])) return true;
    const http = context.switchToHttp();
    this.limiter.admit(http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
    return true;
  }
}
