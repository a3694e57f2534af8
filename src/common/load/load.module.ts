import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { ExpensiveReadInterceptor } from './expensive-read.js';

/** Registers the expensive-read limits for every route marked with @ExpensiveRead(). */
@Module({ providers: [{ provide: APP_INTERCEPTOR, useClass: ExpensiveReadInterceptor }] })
export class LoadModule {}
