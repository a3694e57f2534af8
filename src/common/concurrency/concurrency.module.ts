import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { EntityTagInterceptor } from './conditional.js';

/** Sets the ETag of every tagged single-entity answer and answers matching If-None-Match reads 304. */
@Module({ providers: [{ provide: APP_INTERCEPTOR, useClass: EntityTagInterceptor }] })
export class ConcurrencyModule {}
