import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { defer, firstValueFrom, map, Observable, of } from 'rxjs';
import { InterceptorChain } from './interceptor-chain.js';

const context = {} as ExecutionContext;

/** An interceptor that logs when it is entered and tags the answer on its way out. */
function tagging(name: string, log: string[]): NestInterceptor {
  return {
    intercept(_context: ExecutionContext, next: CallHandler) {
      log.push(`enter ${name}`);
      return next.handle().pipe(map((body: unknown) => `${name}(${String(body)})`));
    },
  };
}

function handler(log: string[], body: unknown = 'body'): CallHandler {
  return {
    handle: () =>
      defer(() => {
        log.push('handler');
        return of(body);
      }),
  };
}

describe('InterceptorChain', () => {
  it('runs the interceptors outermost first, and their answers back innermost first', async () => {
    const log: string[] = [];
    const chain = new InterceptorChain([tagging('a', log), tagging('b', log), tagging('c', log)]);
    await expect(firstValueFrom(chain.intercept(context, handler(log)))).resolves.toBe('a(b(c(body)))');
    expect(log).toEqual(['enter a', 'enter b', 'enter c', 'handler']);
  });

  it('passes the handler through when there is no interceptor', async () => {
    await expect(firstValueFrom(new InterceptorChain([]).intercept(context, handler([])))).resolves.toBe('body');
  });

  it('enters an inner interceptor only when the outer one subscribes to its next (as Nest does)', async () => {
    const log: string[] = [];
    let subscribe: () => void = () => undefined;
    const outer: NestInterceptor = {
      intercept: (_c, next) => {
        const inner = next.handle();
        log.push('outer has next');
        return new Observable((subscriber) => {
          subscribe = () => inner.subscribe(subscriber);
        });
      },
    };
    const answer = firstValueFrom(new InterceptorChain([outer, tagging('inner', log)]).intercept(context, handler(log)));
    expect(log).toEqual(['outer has next']);
    subscribe();
    await expect(answer).resolves.toBe('inner(body)');
    expect(log).toEqual(['outer has next', 'enter inner', 'handler']);
  });

  it("turns an inner interceptor's synchronous throw into the answer's error, which the outer ones see", async () => {
    const failing: NestInterceptor = {
      intercept: () => {
        throw new Error('refused');
      },
    };
    const log: string[] = [];
    const chain = new InterceptorChain([tagging('a', log), failing]);
    await expect(firstValueFrom(chain.intercept(context, handler(log)))).rejects.toThrow('refused');
    expect(log).toEqual(['enter a']);
  });

  it('accepts an interceptor that answers a promise of an observable', async () => {
    const asynchronous: NestInterceptor = {
      intercept: async (_c, next) => {
        await Promise.resolve();
        return next.handle().pipe(map((body: unknown) => `async(${String(body)})`));
      },
    };
    await expect(firstValueFrom(new InterceptorChain([asynchronous]).intercept(context, handler([])))).resolves.toBe('async(body)');
  });

  it('runs the inner interceptors and the handler inside the async context an outer one enters', async () => {
    const store = new AsyncLocalStorage<string>();
    const entering: NestInterceptor = {
      intercept: (_c, next) => new Observable((subscriber) => store.run('request 1', () => next.handle().subscribe(subscriber))),
    };
    const seen: (string | undefined)[] = [];
    const reading: NestInterceptor = {
      intercept: (_c, next) => {
        seen.push(store.getStore());
        return next.handle();
      },
    };
    const handle: CallHandler = { handle: () => defer(() => Promise.resolve(`handled in ${store.getStore()}`)) };
    await expect(firstValueFrom(new InterceptorChain([entering, reading]).intercept(context, handle))).resolves.toBe(
      'handled in request 1',
    );
    expect(seen).toEqual(['request 1']);
  });
});
