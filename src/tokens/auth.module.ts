import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TokensModule } from './tokens.module.js';
import { BearerAuthGuard } from '../common/auth/bearer-auth.guard.js';
import { BEARER_STRATEGY_NAME } from '../common/auth/auth.constants.js';
import { BearerStrategy } from './bearer.strategy.js';
import { PermissionsGuard } from '../common/auth/permissions.guard.js';
import { RateLimitGuard } from '../common/auth/rate-limit.guard.js';
import { UnauthenticatedLimiter, UnauthRateLimitGuard } from '../common/auth/unauth-rate-limit.guard.js';

/**
 * Global guards, in this order: the per-address limit of unauthenticated requests (before any
 * database work), authentication (deny by default), the per-token rate limit, then scope and
 * site-role authorization.
 */
@Module({
  // No PassportModule: its module-wide options would replace the guard's own (its strategy name).
  imports: [TokensModule],
  providers: [
    BearerStrategy,
    { provide: BEARER_STRATEGY_NAME, useFactory: (strategy: BearerStrategy) => strategy.strategyName, inject: [BearerStrategy] },
    UnauthenticatedLimiter,
    { provide: APP_GUARD, useClass: UnauthRateLimitGuard },
    { provide: APP_GUARD, useClass: BearerAuthGuard },
    { provide: APP_GUARD, useClass: RateLimitGuard },
    { provide: APP_GUARD, useClass: PermissionsGuard },
  ],
})
export class AuthModule {}
