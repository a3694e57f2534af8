import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { inTransaction } from '../database/transaction.js';
import { InvalidInputError } from '../common/errors/domain-errors.js';
import { decodeCursor, encodeCursor, END_OF_TRANSACTION, START, type FeedPosition } from './change-cursor.js';

export { END_OF_TRANSACTION };
import { CursorExpiredError, TooManyWaitersError } from './changes.errors.js';
import { ChangesRepository, type ChangeRow } from './changes.repository.js';
import { DEFAULT_CHANGES, type ChangeEventDto, type ChangePageDto, type ChangesQueryDto } from './dto/change.dto.js';

/** How often waiting requests look for new commits (one query per instance, however many wait). */
const WAIT_POLL_MS = 200;
/** Transactions a filtered read by entity type scans at most; then `next` moves past them. */
const SCAN_WINDOW = 10_000n;
/** Events deleted per trimming transaction, and the pause between trimming runs. */
const TRIM_BATCH = 2_000;
const TRIM_INTERVAL_MS = 60_000;
const DAY_MS = 86_400_000;

/** True when `a` comes before `b` in the feed. */
function before(a: FeedPosition, b: FeedPosition): boolean {
  return a.position < b.position || (a.position === b.position && a.seq < b.seq);
}

export function toEvent(row: ChangeRow): ChangeEventDto {
  return {
    id: encodeCursor({ position: BigInt(row.position), seq: BigInt(row.seq) }),
    at: row.at,
    actor: row.actor,
    request_id: row.request_id,
    entity: row.entity,
    entity_id: row.entity_id,
    op: row.op,
    changed: row.changed,
    before: row.before,
    after: row.after,
  };
}

/** The change feed (GET /api/v2/changes) and the retention of the change log. */
@Injectable()
export class ChangesService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Changes');
  private waiting = 0;
  private readonly wakers = new Set<() => void>();
  private polling: NodeJS.Timeout | undefined;
  /** Every position up to this one is visible or aborted for good (ChangesRepository.settled). */
  private settledThrough = 0n;
  private trimmer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly em: EntityManager,
    private readonly changes: ChangesRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async list(query: ChangesQueryDto): Promise<ChangePageDto> {
    const given = query.after === undefined ? undefined : decodeCursor(query.after);
    if (query.after !== undefined && !given) throw InvalidInputError.field('after', 'is not a cursor of this feed');
    const trimmed = await this.changes.trimmedThrough();
    // Everything up to the end of transaction `trimmed` may be gone: a cursor before that end is
    // older than the retention; no cursor means "from the oldest event kept".
    const horizon: FeedPosition = trimmed > 0n ? { position: trimmed, seq: END_OF_TRANSACTION } : START;
    if (given && before(given, horizon)) {
      throw new CursorExpiredError(
        `The cursor is older than the retention of the change log (${this.config.changes.retentionDays} days); start again without after.`,
      );
    }
    const from = given ?? horizon;
    // Nothing came: `next` is the client's own cursor, as sent.
    const answer = (page: ChangePageDto): ChangePageDto =>
      page.data.length === 0 && query.after !== undefined && page.next === encodeCursor(from) ? { data: [], next: query.after } : page;
    let settled = await this.settle(this.changes);
    const first = await this.read(from, query, settled);
    const waitMs = (query.wait ?? 0) * 1000;
    if (first.data.length > 0 || waitMs === 0) return answer(first);
    if (this.waiting >= this.config.changes.maxWaiters) throw new TooManyWaitersError(this.config.changes.maxWaiters);
    this.waiting++;
    try {
      const deadline = Date.now() + waitMs;
      let page = first;
      while (page.data.length === 0 && !this.stopped) {
        const left = deadline - Date.now();
        if (left <= 0) break;
        // Waiters share the poller's barrier: they read up to the horizon it settled, never run their own.
        if (this.settledThrough <= settled) await this.nextCommit(left);
        if (this.stopped || this.settledThrough <= settled) continue;
        settled = this.settledThrough;
        page = await this.read(decodeCursor(page.next) ?? from, query, settled);
      }
      return answer(page);
    } finally {
      this.waiting--;
    }
  }

  /**
   * The settled horizon (ChangesRepository.settled), at most one barrier per call and none when
   * nothing was handed out since the last one this instance settled. Wakes the waiters when it moved.
   * Shared with the webhook dispatcher.
   */
  async settle(changes: ChangesRepository): Promise<bigint> {
    const settled = await changes.settled(this.settledThrough);
    if (settled > this.settledThrough) {
      this.settledThrough = settled;
      for (const wake of [...this.wakers]) wake();
    }
    return settled;
  }

  /**
   * One page after `from`, up to the settled `horizon`; `next` is the last event's id, else `from`
   * (or past a scanned window).
   */
  private async read(from: FeedPosition, query: ChangesQueryDto, horizon: bigint): Promise<ChangePageDto> {
    const limit = query.limit ?? DEFAULT_CHANGES;
    // A filter on the entity type alone may match few events among many: scan a bounded window of
    // transactions, and let `next` move past it when nothing in it matched.
    const windowed = query.entity !== undefined && query.entity_id === undefined;
    const window = from.position + SCAN_WINDOW;
    const untilPosition = windowed && window < horizon ? window : horizon;
    const found = await this.changes.after(from, limit, { entity: query.entity, entityId: query.entity_id, untilPosition });
    const data = found.map(toEvent);
    if (data.length > 0) return { data, next: data[data.length - 1].id };
    if (windowed && untilPosition > from.position) {
      return { data, next: encodeCursor({ position: untilPosition, seq: END_OF_TRANSACTION }) };
    }
    return { data, next: encodeCursor(from) };
  }

  /** Resolves when a transaction commits after the one seen last, or after `ms`. */
  private nextCommit(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.add(done);
      this.poll();
    });
  }

  /**
   * While anyone waits: every WAIT_POLL_MS, one cheap read of the last position handed out and, only
   * when it moved past the settled horizon, one barrier for all the waiters; {@link settle} wakes them.
   */
  private poll(): void {
    if (this.polling || this.stopped) return;
    this.polling = setTimeout(() => {
      void (async () => {
        try {
          await this.settle(this.changes.on(this.em.fork()));
        } catch (error) {
          this.logger.warn(`change feed poll failed: ${(error as Error).message}`);
        } finally {
          this.polling = undefined;
          if (this.wakers.size > 0) this.poll();
        }
      })();
    }, WAIT_POLL_MS);
    this.polling.unref();
  }

  onApplicationBootstrap(): void {
    this.scheduleTrim(10_000);
  }

  /** Before the ORM closes: waiting requests answer with what they have, timers stop. */
  onModuleDestroy(): void {
    this.stopped = true;
    clearTimeout(this.trimmer);
    clearTimeout(this.polling);
    for (const wake of [...this.wakers]) wake();
  }

  private scheduleTrim(ms: number): void {
    if (this.stopped) return;
    this.trimmer = setTimeout(() => {
      this.trimExpired()
        .catch((error: Error) => this.logger.warn(`change log trimming failed: ${error.message}`))
        .finally(() => this.scheduleTrim(TRIM_INTERVAL_MS));
    }, ms);
    this.trimmer.unref();
  }

  /**
   * Deletes the events older than CHANGES_RETENTION_DAYS, a small batch per transaction so that no
   * transaction of its own grows large. Returns the number deleted.
   */
  async trimExpired(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.config.changes.retentionDays * DAY_MS);
    let total = 0;
    while (!this.stopped) {
      const em = this.em.fork();
      const deleted = await inTransaction(em, (tx) => this.changes.on(tx).trimBatch(cutoff, TRIM_BATCH));
      if (!deleted) break;
      total += deleted;
    }
    return total;
  }
}
