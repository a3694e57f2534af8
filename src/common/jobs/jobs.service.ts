import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { PgBoss, fromKysely, type Queue, type SendOptions, type WorkHandler, type WorkOptions } from 'pg-boss';

/** The options of the one pg-boss instance (see database/job-queue.ts). */
export const JOB_QUEUE_OPTIONS = Symbol('JOB_QUEUE_OPTIONS');

/**
 * Durable jobs kept in PostgreSQL (pg-boss), for work that must survive a restart and must not run
 * twice at once: webhook deliveries, bulk sync jobs. One instance per process, started on first use
 * (a process that never queues or works a job opens no connection for it) and stopped gracefully
 * when the application shuts down.
 */
@Injectable()
export class Jobs implements OnApplicationShutdown {
  private readonly logger = new Logger('Jobs');
  private readonly boss: PgBoss;
  private started: Promise<PgBoss> | undefined;
  private readonly queues = new Map<string, Promise<void>>();

  constructor(@Inject(JOB_QUEUE_OPTIONS) options: ConstructorParameters<typeof PgBoss>[0] & object) {
    this.boss = new PgBoss(options);
    // pg-boss reports its own failures (maintenance, a lost connection) as events, not rejections.
    this.boss.on('error', (error: Error) => this.logger.error(`job queue: ${error.message}`));
  }

  private start(): Promise<PgBoss> {
    this.started ??= this.boss.start();
    return this.started;
  }

  /** Creates the queue once per process (idempotent across instances: pg-boss ignores an existing one). */
  async queue(name: string, options: Omit<Queue, 'name'> = {}): Promise<void> {
    let created = this.queues.get(name);
    if (!created) {
      created = this.start().then(async (boss) => {
        if (!(await boss.getQueue(name))) await boss.createQueue(name, options);
      });
      this.queues.set(name, created);
      created.catch(() => this.queues.delete(name));
    }
    await created;
  }

  /**
   * Queues a job. With `em` inside a transaction, the job is written by that transaction: it exists
   * exactly when the write that caused it commits.
   */
  async send(name: string, data: object, options: SendOptions = {}, em?: EntityManager): Promise<string | null> {
    const boss = await this.start();
    return boss.send(name, data, em ? { ...options, db: fromKysely(em.getKysely()) } : options);
  }

  /** Runs `handler` for the jobs of `name` in this process. */
  async work<T>(name: string, options: WorkOptions, handler: WorkHandler<T>): Promise<string> {
    const boss = await this.start();
    return boss.work<T>(name, options, handler);
  }

  /** The pg-boss instance itself, for what this wrapper does not cover (job state, cancel). */
  async instance(): Promise<PgBoss> {
    return this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.started) return;
    await this.started.catch(() => undefined);
    await this.boss.stop({ graceful: true, timeout: 10_000 });
  }
}
