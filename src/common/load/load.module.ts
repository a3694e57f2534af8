import { Module } from '@nestjs/common';
import { ExpensiveReadInterceptor } from './expensive-read.js';

/** The expensive-read limits for every route marked with @ExpensiveRead() (global, in AppModule's InterceptorChain). */
@Module({ providers: [ExpensiveReadInterceptor], exports: [ExpensiveReadInterceptor] })
export class LoadModule {}
