import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/postgresql';
import { RequestContext } from '@mikro-orm/core';
import { Jobs } from '../common/jobs/jobs.service.js';
import { QUEUE_OPTIONS, SYNC_DEAD_QUEUE, SYNC_QUEUE, SyncService } from './sync.service.js';

const RETRY_START_MS = 10_000;
/** How often a new instance looks whether the migrations have run (npm start applies them after init). */
const SCHEMA_POLL_MS = 1_000;

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

  constructor(
    private readonly jobs: Jobs,
    private readonly sync: SyncService,
    private readonly orm: MikroORM,
  ) {}

  onApplicationBootstrap(): void {
    // Not awaited: the application starts (and answers 503) while the database is away; the worker
    // starts as soon as it is back.
    void this.start();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private later(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.start(), ms);
    this.timer.unref();
  }

  private async start(): Promise<void> {
    if (this.stopped) return;
    try {
      // Not before the migrations: pg-boss would create its schema while the migration `job_queue`
      // does, and the start would fail on the duplicate. The sync tables exist once they have run.
      if (!(await RequestContext.create(this.orm.em, () => this.sync.schemaReady()))) {
        this.later(SCHEMA_POLL_MS);
        return;
      }
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
