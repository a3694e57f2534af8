import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/postgresql';
import { RequestContext } from '@mikro-orm/core';
import { Jobs } from '../common/jobs/jobs.service.js';
import { QUEUE_OPTIONS, SYNC_DEAD_QUEUE, SYNC_QUEUE, SyncService } from './sync.service.js';

const RETRY_START_MS = 10_000;
/** The retention of finished jobs runs this long after the start, then every hour, in every instance. */
const FIRST_TRIM_MS = 60_000;
const TRIM_INTERVAL_MS = 3_600_000;

/**
 * Works the sync queue in every instance (pg-boss hands each job to one worker: `FOR UPDATE SKIP
 * LOCKED`). A job whose process died is retried by pg-boss once its heartbeat stops; one that never
 * finishes lands in the dead-letter queue and is marked failed with that reason.
 */
@Injectable()
export class SyncWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SyncWorker');
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private trimmer: NodeJS.Timeout | undefined;

  constructor(
    private readonly jobs: Jobs,
    private readonly sync: SyncService,
    private readonly orm: MikroORM,
  ) {}

  onApplicationBootstrap(): void {
    // Not awaited: the application starts (and answers 503) while the database is away; the worker
    // starts as soon as it is back.
    void this.start();
    this.scheduleTrim(FIRST_TRIM_MS);
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.trimmer);
  }

  /** SYNC_JOB_RETENTION_DAYS: finished jobs are deleted in the background (a failure waits for the next round). */
  private scheduleTrim(ms: number): void {
    if (this.stopped) return;
    this.trimmer = setTimeout(() => {
      RequestContext.create(this.orm.em, () => this.sync.trimFinished())
        .then((n) => n > 0 && this.logger.log(`deleted ${n} sync jobs older than the retention`))
        .catch((error: Error) => this.logger.warn(`sync job retention failed: ${error.message}`))
        .finally(() => this.scheduleTrim(TRIM_INTERVAL_MS));
    }, ms);
    this.trimmer.unref();
  }

  private later(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.start(), ms);
    this.timer.unref();
  }

  private async start(): Promise<void> {
    if (this.stopped) return;
    try {
      // The migrations have run (createApp prepares the database before the modules start): the
      // schema `pgboss` and the sync tables exist.
      await this.jobs.queue(SYNC_DEAD_QUEUE);
      await this.jobs.queue(SYNC_QUEUE, QUEUE_OPTIONS);
      await this.jobs.work<{ jobId: string }>(SYNC_QUEUE, { pollingIntervalSeconds: 0.5, batchSize: 1 }, async ([job]) => {
        await RequestContext.create(this.orm.em, () => this.sync.run(job.data.jobId));
      });
      await this.jobs.work<{ jobId: string }>(SYNC_DEAD_QUEUE, { pollingIntervalSeconds: 2, batchSize: 1 }, async ([job]) => {
        await RequestContext.create(this.orm.em, () => this.sync.giveUp(job.data.jobId));
      });
    } catch (error) {
      this.logger.warn(`sync worker not started (${(error as Error).message}); retrying in ${RETRY_START_MS / 1000} s`);
      if (this.stopped) return;
      this.later(RETRY_START_MS);
    }
  }
}
