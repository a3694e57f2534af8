import { MikroORM } from '@mikro-orm/postgresql';
import { setTimeout as sleep } from 'node:timers/promises';
import { ormConfig } from '../../src/database/mikro-orm.config.js';
import { sql } from './sql.js';
import type { TestApp } from './test-app.js';

/** A table lock held by a side session until `release()`. */
export interface HeldLock {
  release(): Promise<void>;
}

/**
 * Sessions of the test's own, outside the application's pool and without its timeouts: they hold
 * locks on purpose, which makes the application's statements wait deterministically.
 */
export class SideConnection {
  private constructor(private readonly orm: MikroORM) {}

  static open(t: TestApp): SideConnection {
    const base = ormConfig(t.config, t.url);
    return new SideConnection(
      new MikroORM({
        ...base,
        allowGlobalContext: true,
        logger: () => undefined,
        pool: { min: 0, max: 4 },
        driverOptions: {
          ...(base.driverOptions as object),
          application_name: 'organigram-test-side',
          statement_timeout: 0,
          lock_timeout: 0,
          idle_in_transaction_session_timeout: 0,
        },
      }),
    );
  }

  sql<T = Record<string, unknown>>(query: string, params: unknown[] = []): Promise<T[]> {
    return sql<T>(this.orm.em.fork(), query, params);
  }

  /** Takes ACCESS EXCLUSIVE on `table` in a transaction and keeps it until release(). */
  lock(table: 'person' | 'org_unit' | 'org_role' | 'org_person' | 'sync_person'): Promise<HeldLock> {
    return this.hold(`lock table ${table} in access exclusive mode`);
  }

  /** Takes the transaction-level advisory lock `key` (e.g. the reporting lines' 4242003) and keeps it until release(). */
  advisoryLock(key: number): Promise<HeldLock> {
    return this.hold(`select pg_advisory_xact_lock(${Number(key)})`);
  }

  /** Runs `statement` (which takes a lock) in a transaction kept open until release(). */
  private async hold(statement: string): Promise<HeldLock> {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let acquired!: () => void;
    const locked = new Promise<void>((resolve) => (acquired = resolve));
    const transaction = this.orm.em.fork().transactional(async (tx) => {
      await sql(tx, statement);
      acquired();
      await released;
    });
    await Promise.race([locked, transaction]);
    return {
      release: async () => {
        release();
        await transaction;
      },
    };
  }

  /** Sessions of the application (this database) waiting for a lock right now. */
  async appSessionsWaitingOnLocks(): Promise<number> {
    const [row] = await this.sql<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity
        where application_name = 'organigram' and datname = current_database() and wait_event_type = 'Lock'`,
    );
    return row.n;
  }

  /** Polls until `probe` holds, or fails after `ms`. */
  static async until(probe: () => Promise<boolean>, ms: number, what: string): Promise<void> {
    const start = Date.now();
    while (!(await probe())) {
      if (Date.now() - start > ms) throw new Error(`not within ${ms} ms: ${what}`);
      await sleep(25);
    }
  }

  close(): Promise<void> {
    return this.orm.close(true);
  }
}
