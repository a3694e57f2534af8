import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { Job } from 'pg-boss';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { inTransaction } from '../database/transaction.js';
import { Jobs } from '../common/jobs/jobs.service.js';
import { ChangesRepository } from '../changes/changes.repository.js';
import { ChangesService, toEvent } from '../changes/changes.service.js';
import { END_OF_TRANSACTION } from '../changes/changes.service.js';
import { matchesEvent } from './webhook-patterns.js';
import { sendSigned } from './webhook-sender.js';
import { WebhooksRepository } from './webhooks.repository.js';

export const DELIVERY_QUEUE = 'webhook-delivery';

export interface DeliveryJob {
  webhookId: string;
  eventId: string;
  /** The exact body POSTed on every attempt (Standard Webhooks envelope around the event). */
  body: string;
}

/**
 * The job id of one delivery. pg-boss takes a webhook's jobs in (created_on, id) order, and the jobs
 * one dispatcher transaction queues share created_on: ids that sort like the log (position, then
 * seq; then a part of the webhook id, so that one event's jobs for several webhooks differ) keep
 * the log order.
 */
export function deliveryJobId(position: bigint, seq: bigint, webhookId: string): string {
  const hex =
    position.toString(16).padStart(14, '0').slice(-14) +
    seq.toString(16).padStart(10, '0').slice(-10) +
    webhookId.replace(/-/g, '').slice(0, 8);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** How often the dispatcher looks for new events, and how many it takes per transaction. */
const DISPATCH_INTERVAL_MS = 250;
const DISPATCH_BATCH = 200;

/**
 * Webhook deliveries (contract 10.3), in two steps:
 * 1. the dispatcher follows the change log like a feed consumer (commit order, nothing skipped) and
 *    turns each event into one durable job per matching webhook, in the same transaction that moves
 *    its cursor: every event is queued exactly once, even across restarts and instances (the cursor
 *    row is locked FOR UPDATE SKIP LOCKED, so one instance dispatches at a time);
 * 2. a worker on the `webhook-delivery` queue (pg-boss, policy key_strict_fifo keyed by webhook id:
 *    one delivery of a webhook at a time, in log order; a retrying delivery holds back the later
 *    ones) POSTs each, with exponential backoff from WEBHOOK_RETRY_BASE_MS.
 * A write never waits for either: they run on timers and their own job pool.
 */
@Injectable()
export class WebhookDeliveries implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Webhooks');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private working: Promise<unknown> | undefined;
  private stopped = false;

  constructor(
    private readonly em: EntityManager,
    private readonly jobs: Jobs,
    private readonly changes: ChangesRepository,
    private readonly feed: ChangesService,
    private readonly webhooks: WebhooksRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(DISPATCH_INTERVAL_MS);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** Dispatch soon (a webhook was created). */
  wake(): void {
    if (this.stopped || this.running) return;
    clearTimeout(this.timer);
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.dispatch()
        .catch((error: Error) => this.logger.warn(`webhook dispatch failed: ${error.message}`))
        .finally(() => {
          this.running = undefined;
          this.schedule(DISPATCH_INTERVAL_MS);
        });
    }, ms);
    this.timer.unref();
  }

  /** Queues the deliveries of every event committed since the last run. */
  async dispatch(): Promise<void> {
    while (!this.stopped) {
      const more = await this.dispatchBatch();
      if (!more) return;
    }
  }

  private async dispatchBatch(): Promise<boolean> {
    const em = this.em.fork();
    const hooks = await this.webhooks.on(em).targets();
    // No webhook, no job queue: an instance without webhooks never starts pg-boss.
    if (hooks.length > 0) await this.startWorker();
    // Before the transaction (it waits for the commits in flight, never while holding the cursor row).
    const horizon = await this.feed.settle(this.changes.on(em));
    return inTransaction(em, async (tx) => {
      const repo = this.webhooks.on(tx);
      const cursor = await repo.lockDispatch();
      if (!cursor) return false;
      if (hooks.length === 0) {
        // Nobody to deliver to: skip what is there (a webhook created later starts after it anyway).
        if (BigInt(cursor.position) < horizon) await repo.moveDispatch(horizon, END_OF_TRANSACTION);
        return false;
      }
      const from = { position: BigInt(cursor.position), seq: BigInt(cursor.seq) };
      const events = await this.changes.on(tx).after(from, DISPATCH_BATCH, { untilPosition: horizon });
      if (events.length === 0) return false;
      for (const row of events) {
        const event = toEvent(row);
        const at = Date.parse(row.at);
        for (const hook of hooks) {
          // A webhook receives the events committed after it was created.
          if (at < Date.parse(hook.created_at) || !matchesEvent(hook.events, row.entity, row.op)) continue;
          const body = JSON.stringify({ type: `${row.entity}.${row.op}`, timestamp: row.at, data: event });
          const job: DeliveryJob = { webhookId: hook.id, eventId: event.id, body };
          const id = deliveryJobId(BigInt(row.position), BigInt(row.seq), hook.id);
          await this.jobs.send(DELIVERY_QUEUE, job, { id, singletonKey: hook.id }, tx);
        }
      }
      const last = events[events.length - 1];
      await repo.moveDispatch(BigInt(last.position), BigInt(last.seq));
      return events.length === DISPATCH_BATCH;
    });
  }

  /** Creates the queue and starts this process's worker, once. */
  startWorker(): Promise<unknown> {
    this.working ??= (async () => {
      const w = this.config.webhooks;
      await this.jobs.queue(DELIVERY_QUEUE, {
        policy: 'key_strict_fifo',
        retryLimit: w.maxAttempts - 1,
        retryDelay: Math.ceil(w.retryBaseMs / 1000),
        retryBackoff: true,
        retryDelayMax: 3600,
        // An attempt is bounded by WEBHOOK_TIMEOUT_MS; a job still active long after that belonged to
        // a process that died mid-attempt, and is retried.
        expireInSeconds: Math.ceil(w.timeoutMs / 1000) + 15,
        retentionSeconds: 14 * 86_400,
        deleteAfterSeconds: 86_400,
      });
      await this.jobs.work<DeliveryJob>(
        DELIVERY_QUEUE,
        { pollingIntervalSeconds: 0.5, batchSize: 1, localConcurrency: 4 },
        async (batch) => {
          for (const job of batch) await this.deliver(job);
        },
      );
    })();
    this.working.catch(() => {
      this.working = undefined;
    });
    return this.working;
  }

  /** One attempt of one delivery; throws to have pg-boss retry it later (holding back the webhook's next ones). */
  private async deliver(job: Job<DeliveryJob>): Promise<void> {
    const { webhookId, eventId, body } = job.data;
    const repo = this.webhooks.on(this.em.fork());
    const hook = await repo.target(webhookId);
    if (!hook) return; // deleted meanwhile: nothing to deliver
    const attempt = job.retryCount + 1;
    const result = await sendSigned({
      url: hook.url,
      secret: hook.secret,
      eventId,
      body,
      timeoutMs: this.config.webhooks.timeoutMs,
      allowPrivate: this.config.webhooks.allowPrivateTargets,
    });
    await repo.recordAttempt({ webhookId, eventId, attempt, ...result });
    if (attempt % 100 === 1) await repo.pruneDeliveries(webhookId);
    const delivered = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    if (delivered) return;
    if (attempt >= this.config.webhooks.maxAttempts) {
      // Given up (recorded above): a failed job would hold back this webhook's later events for good.
      this.logger.warn(`webhook ${webhookId}: event ${eventId} given up after ${attempt} attempts`);
      return;
    }
    throw new Error(result.error ?? `receiver answered ${result.statusCode}`);
  }
}
