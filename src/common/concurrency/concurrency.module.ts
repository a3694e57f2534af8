import { Module } from '@nestjs/common';
import { EntityTagInterceptor } from './conditional.js';

/**
 * Sets the ETag of every tagged single-entity answer and answers matching If-None-Match reads 304
 * (global, in AppModule's InterceptorChain).
 */
@Module({ providers: [EntityTagInterceptor], exports: [EntityTagInterceptor] })
export class ConcurrencyModule {}
