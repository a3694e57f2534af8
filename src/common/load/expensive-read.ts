import {
  applyDecorators,
  Inject,
  Injectable,
  SetMetadata,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { defer, lastValueFrom, type Observable } from 'rxjs';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import type { Principal } from '../auth/principal.js';
import { ApiProblem } from '../errors/api-problem.decorator.js';
import { isStatementTimeout } from '../../database/database-errors.js';
import { QueryTooExpensiveError, ServiceUnavailableError, TooManyConcurrentReadsError } from '../errors/domain-errors.js';
import { Semaphore } from './semaphore.js';

export const EXPENSIVE_READ_KEY = 'organigram:expensiveRead';

export interface ExpensiveReadOptions {
  /**
   * false for a read that may wait without holding a connection (the change feed's long polling):
   * it counts against TOKEN_CONCURRENCY but takes no permit of the process-wide semaphore, whose
   * permits stand for pool connections; it runs one short indexed statement at a time.
   */
  readonly holdsPoolPermit?: boolean;
}

/** Connections of the pool that expensive reads can never take: for lookups, authentication and readiness. */
export const POOL_RESERVE = 2;

/** Permits of the process-wide expensive-read semaphore: DB_POOL_MAX - 2, and at least one. */
export function expensiveReadPermits(poolMax: number): number {
  return Math.max(1, poolMax - POOL_RESERVE);
}

/**
 * Marks a route as an expensive read (a list, an index, later hierarchy and change-feed reads): the
 * {@link ExpensiveReadInterceptor} bounds how many run per token and in all, and turns its statement
 * timeout into a query-too-expensive problem. Apply it after (above) `@Authorize`: its 429 and 503
 * descriptions replace the generic ones.
 */
export function ExpensiveRead(options: ExpensiveReadOptions = {}) {
  return applyDecorators(
    SetMetadata(EXPENSIVE_READ_KEY, { holdsPoolPermit: options.holdsPoolPermit ?? true }),
    ApiProblem(
      429,
      'Rate limit of the token exceeded (type .../rate-limited), or the token already has TOKEN_CONCURRENCY lists in progress ' +
        '(type .../too-many-concurrent-reads). See Retry-After.',
    ),
    ApiProblem(
      503,
      'Database unavailable, or too many lists in progress on this instance (type .../service-unavailable, with Retry-After); ' +
        'or this query hit its statement timeout (type .../query-too-expensive, no Retry-After): narrow the filter.',
    ),
  );
}

/**
 * The one place where expensive reads are limited (contract section 8, docs/decisions.md):
 * 1. per token: at most TOKEN_CONCURRENCY in flight (queued ones included); the next is a 429 at once;
 * 2. per process: at most DB_POOL_MAX - 2 run their database work at once (each list uses one
 *    connection at a time), the others wait up to DB_ACQUIRE_TIMEOUT_MS in a FIFO queue, then 503
 *    with Retry-After; so two pool connections always stay for everything else;
 * 3. a statement timeout inside such a read is a 503 query-too-expensive, without Retry-After.
 * Routes without {@link ExpensiveRead} pass straight through.
 */
@Injectable()
export class ExpensiveReadInterceptor implements NestInterceptor {
  private readonly inFlight = new Map<string, number>();
  private readonly semaphore: Semaphore;

  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.semaphore = new Semaphore(expensiveReadPermits(config.database.poolMax));
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const mark = this.reflector.get<Required<ExpensiveReadOptions> | undefined>(EXPENSIVE_READ_KEY, context.getHandler());
    if (!mark) return next.handle();
    // Expensive reads are never public: the guards have authenticated the token by now.
    const tokenId = context.switchToHttp().getRequest<{ user?: Principal }>().user?.tokenId ?? '';
    const limit = this.config.load.tokenConcurrency;
    const running = this.inFlight.get(tokenId) ?? 0;
    if (running >= limit) throw new TooManyConcurrentReadsError(limit);
    this.inFlight.set(tokenId, running + 1);
    return defer(() => this.run(tokenId, mark.holdsPoolPermit, () => lastValueFrom(next.handle())));
  }

  private async run(tokenId: string, holdsPoolPermit: boolean, handle: () => Promise<unknown>): Promise<unknown> {
    let release: (() => void) | undefined;
    try {
      release = holdsPoolPermit ? await this.semaphore.acquire(this.config.database.acquireTimeoutMs) : () => undefined;
      if (!release) {
        throw new ServiceUnavailableError(
          'Too many lists and indexes are in progress on this instance; retry later.',
          this.config.database.retryAfterSeconds,
        );
      }
      return await handle();
    } catch (error) {
      if (isStatementTimeout(error)) throw new QueryTooExpensiveError(this.config.database.statementTimeoutMs);
      throw error;
    } finally {
      release?.();
      const left = (this.inFlight.get(tokenId) ?? 1) - 1;
      if (left > 0) this.inFlight.set(tokenId, left);
      else this.inFlight.delete(tokenId);
    }
  }
}
