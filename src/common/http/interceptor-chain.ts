import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { defer, from, isObservable, mergeAll, type Observable } from 'rxjs';

/**
 * The global interceptors as one Nest interceptor, in their order (the first is the outermost).
 *
 * Nest runs each interceptor of a request in a layer of its own: an async function, an AsyncResource
 * bound to the request's async context, a `defer` and a `mergeAll`, on every request, for every
 * interceptor, whether it does anything on that route or not. Most requests pass through most of the
 * global ones untouched (no expensive read, no Idempotency-Key, a GET writes nothing), so that
 * machinery was most of their cost (issue 10, docs/performance.md). Here each interceptor's `next` is a
 * plain `defer` of the next one: the same order, the same laziness (nothing inner runs before the
 * outer one subscribes, and a synchronous throw becomes the observable's error as in Nest), inside the
 * same async context, since everything inner runs when the outer subscribes.
 */
export class InterceptorChain implements NestInterceptor {
  constructor(private readonly interceptors: readonly NestInterceptor[]) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return this.from(0, context, next);
  }

  private from(index: number, context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (index === this.interceptors.length) return next.handle();
    const inner: CallHandler = { handle: () => defer(() => this.from(index + 1, context, next)) };
    const result = this.interceptors[index].intercept(context, inner) as Observable<unknown> | Promise<Observable<unknown>>;
    return isObservable(result) ? result : from(result).pipe(mergeAll());
  }
}
