import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { ApiTokenSchema } from './api-token.entity.js';
import { TokensController } from './tokens.controller.js';
import { TokenRepository } from './token.repository.js';
import { TokensService } from './tokens.service.js';
import { TokenCacheService } from './token-cache.js';

@Module({
  imports: [MikroOrmModule.forFeature([ApiTokenSchema])],
  controllers: [TokensController],
  providers: [TokensService, TokenRepository, TokenCacheService],
  exports: [TokensService],
})
export class TokensModule {}
