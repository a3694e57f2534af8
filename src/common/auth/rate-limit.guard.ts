import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { TooManyRequestsError } from '../errors/domain-errors.js';
import { IS_PUBLIC_KEY } from './auth.constants.js';
import type { Principal } from './principal.js';
import { UnauthenticatedLimiter } from './unauth-rate-limit.guard.js';

interface Window {
  start: number;
  count: number;
}

/**
 * Per-token rate limit, fixed window, in memory (see docs/reliability.md for several instances).
 *
 * It runs after authentication, so its buckets are keyed by token id: a burst of random tokens is
 * refused with 401 by the checksum before it reaches this guard and never consumes a real caller's
 * budget, and the number of buckets is bounded by the number of tokens. Health and docs are public
 * and not limited. Every limited answer carries X-RateLimit-Limit/-Remaining/-Reset (seconds until
 * the window resets); a 429 adds Retry-After.
 *
 * Why not @nestjs/throttler: 6.7.1 is CommonJS and require()s the ESM-only @nestjs/common 12; Node 24
 * loads it, but Jest's ESM runtime cannot, so the real guard could not be tested.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly windows = new Map<string, Window>();
  private nextSweep = 0;

  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly unauthenticated: UnauthenticatedLimiter,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const { enabled, limit, windowMs } = this.config.rateLimit;
    if (!enabled || this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<{ user?: Principal }>();
    const principal = request.user;
    if (!principal) return true; // unreachable after authentication; nothing to key on
    // Authenticated: not an unauthenticated request after all (refunds its address's charge).
    this.unauthenticated.authenticated(request);
    const now = Date.now();
    this.sweep(now, windowMs);
    let window = this.windows.get(principal.tokenId);
    if (!window || now - window.start >= windowMs) {
      window = { start: now, count: 0 };
      this.windows.set(principal.tokenId, window);
    }
    window.count++;
    const resetSeconds = Math.max(1, Math.ceil((window.start + windowMs - now) / 1000));
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    reply.header('X-RateLimit-Limit', String(limit));
    reply.header('X-RateLimit-Remaining', String(Math.max(0, limit - window.count)));
    reply.header('X-RateLimit-Reset', String(resetSeconds));
    if (window.count > limit) throw new TooManyRequestsError(resetSeconds);
    return true;
  }

  /** Drops expired windows now and then, so memory follows the active tokens only. */
  private sweep(now: number, windowMs: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + windowMs;
    for (const [key, window] of this.windows) if (now - window.start >= windowMs) this.windows.delete(key);
  }
}
