import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { TokensModule } from '../../tokens/tokens.module.js';
import { BearerAuthGuard } from './bearer-auth.guard.js';
import { BearerStrategy } from './bearer.strategy.js';
import { PermissionsGuard } from './permissions.guard.js';

/** Authentication then authorization, as global guards in this order: deny by default. */
@Module({
  imports: [PassportModule.register({ session: false }), TokensModule],
  providers: [BearerStrategy, { provide: APP_GUARD, useClass: BearerAuthGuard }, { provide: APP_GUARD, useClass: PermissionsGuard }],
})
export class AuthModule {}
