import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TokensModule } from './tokens.module.js';
import { AUTHENTICATOR, BearerAuthGuard } from '../common/auth/bearer-auth.guard.js';
import { TokensService } from './tokens.service.js';
import { PermissionsGuard } from '../common/auth/permissions.guard.js';
import { RateLimitGuard } from '../common/auth/rate-limit.guard.js';
import { UnauthenticatedLimiter, UnauthRateLimitGuard } from '../common/auth/unauth-rate-limit.guard.js';

/**
 * Global guards, in this order: the per-address limit of unauthenticated requests (before any
 * database work), authentication (deny by default), the per-token rate limit, then scope and
 * site-role authorization.
 */
@Module({
  imports: [TokensModule],
  providers: [
    // Each application authenticates with its own TokensService and token cache (two applications in
    // one process are how the e2e tests check revocation across instances).
    { provide: AUTHENTICATOR, useExisting: TokensService },
    UnauthenticatedLimiter,
    { provide: APP_GUARD, useClass: UnauthRateLimitGuard },
    { provide: APP_GUARD, useClass: BearerAuthGuard },
    { provide: APP_GUARD, useClass: RateLimitGuard },
    { provide: APP_GUARD, useClass: PermissionsGuard },
  ],
})
export class AuthModule {}
