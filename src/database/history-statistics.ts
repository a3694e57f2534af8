import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { rows } from './sql.js';
import { inTransaction } from './transaction.js';

/** The parents of the live and history tables (migrations Migration20261201090000_as_of, Migration20261201113000_reporting_line_history). */
const VERSIONS = ['person_versions', 'org_unit_versions', 'org_role_versions', 'org_person_versions', 'reporting_line_versions'] as const;
/** First run a minute after start, then hourly. */
const FIRST_RUN_MS = 60_000;
const INTERVAL_MS = 3_600_000;
/** One instance at a time (transaction-scoped advisory lock). */
const LOCK_KEY = 4242013;

/**
 * Keeps the planner statistics of the `<table>_versions` parents that point-in-time reads scan
 * (docs/decisions.md, "Point-in-time reads"): autovacuum analyzes the live and history tables but never
 * a parent without rows of its own, and without the parent's statistics every join between as-of
 * relations is estimated from defaults. An hourly ANALYZE of the five parents (a sample of each tree,
 * tenths of a second on the bench data), by one instance at a time. A database role that does not own
 * the tables skips it with a PostgreSQL warning: then the operator runs it (docs/operations.md).
 */
@Injectable()
export class HistoryStatistics implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('HistoryStatistics');
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly em: EntityManager) {}

  onApplicationBootstrap(): void {
    this.schedule(FIRST_RUN_MS);
  }

  onModuleDestroy(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.analyze()
        .catch((error: Error) => this.logger.warn(`analyze of the history tables failed: ${error.message}`))
        .finally(() => this.schedule(INTERVAL_MS));
    }, ms);
    this.timer.unref();
  }

  /** ANALYZE of the five parents; false when another instance holds the lock. */
  async analyze(): Promise<boolean> {
    return inTransaction(this.em.fork(), async (tx) => {
      const [lock] = await rows(tx, sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(${LOCK_KEY}) as ok`);
      if (!lock?.ok) return false;
      await rows(tx, sql`analyze ${sql.raw(VERSIONS.join(', '))}`);
      return true;
    });
  }
}
