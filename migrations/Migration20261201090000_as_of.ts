import { Migration } from '@mikro-orm/migrations';

/** The tables whose past states `as_of` reads (contract section 10.2). */
const TABLES = ['person', 'org_unit', 'org_role', 'org_person'] as const;

/** Lookups of the reads, on the history tables (each table's own read paths, as its live indexes serve them). */
const HISTORY_INDEXES: Record<(typeof TABLES)[number], string[]> = {
  person: ['(id)', '(lower(email))'],
  org_unit: ['(id)', '(parent_id)'],
  org_role: ['(id)'],
  org_person: ['(id)', '(org_unit_id)', '(person_id)'],
};

/**
 * Point-in-time reads (contract section 10.2; docs/decisions.md, "Point-in-time reads"): system-versioned
 * history tables kept by triggers.
 *
 * - Each live table gets `sys_from` (when the row's current values were written; rows that existed
 *   before this migration get their created_at: their earlier history is unknown) and `sys_to` (always
 *   null in the live table). `<table>_versions` is an empty parent created `(like <table>)`; the live
 *   table and `<table>_history` both inherit from it, so they have the same columns in the same order,
 *   a past version is the live row as it was with `sys_to` set (copied by position,
 *   `select (past).*`), and `select * from <table>_versions` is "live union all history" as ONE
 *   relation: PostgreSQL keeps statistics for it as a whole (ANALYZE of the parent), so joins between
 *   as-of relations are estimated like joins between tables (a UNION ALL has no statistics and made
 *   every join a hash join over the whole table: 20x slower, measured). A column added later goes to
 *   `<table>_versions` (which adds it to both children); a column added to the live table alone must be
 *   added to its history table in the same migration (a test compares the two column lists).
 * - A BEFORE UPDATE trigger (named `*_z_history`: BEFORE triggers fire in name order, so it sees the row
 *   the others leave) copies the old row into history with `sys_to` = the write's time and starts the
 *   new version there; an update that changes no value (only updated_at or the ETag version) keeps the
 *   version it has and writes no history, like the change log. An AFTER DELETE trigger copies the
 *   deleted row. Times are the write's `clock_timestamp()` truncated to milliseconds (the change log's
 *   `at` resolution), never earlier than the version's start: a row is written only after the previous
 *   writer of the row committed, so each version starts after the previous one's commit and at or
 *   before its own commit (the change log's `at`), and a read as of an event's `at` sees that event's state.
 * - `<table>_as_of(t)`: the rows as recorded at t, an inlinable SQL function (stable, not strict), so
 *   PostgreSQL expands it into the query and pushes filters into both children.
 */
export class Migration20261201090000_as_of extends Migration {
  override up(): void {
    // Rewrites or indexes every row of big tables: on a large directory this outlasts the app's
    // DB_STATEMENT_TIMEOUT_MS (measured: the bench's 100,000 people and 300,000 assignments). Local to
    // the migrations' one transaction (allOrNothing), so the pool's sessions keep their timeout.
    this.addSql('set local statement_timeout = 0');
    // Milliseconds, as the change log's `at` is written: a read as of an event's `at` (its commit time,
    // truncated to the millisecond) must see the state that event wrote, which started at or before it.
    this.addSql(
      `create function history_clock() returns timestamptz language sql volatile as $$ select date_trunc('milliseconds', clock_timestamp()) $$`,
    );
    for (const table of TABLES) {
      this.addSql(`alter table ${table} add column sys_from timestamptz, add column sys_to timestamptz`);
      // Internal columns: no version bump, no change event, no ETag change for existing rows.
      this.addSql(`alter table ${table} disable trigger user`);
      this.addSql(`update ${table} set sys_from = created_at`);
      this.addSql(`alter table ${table} enable trigger user`);
      this.addSql(
        `alter table ${table} alter column sys_from set default history_clock(), alter column sys_from set not null, add constraint ${table}_sys_to_live check (sys_to is null)`,
      );
      this.addSql(`create table ${table}_versions (like ${table})`);
      this.addSql(`alter table ${table} inherit ${table}_versions`);
      this.addSql(`create table ${table}_history () inherits (${table}_versions)`);
      for (const [i, columns] of HISTORY_INDEXES[table].entries()) {
        this.addSql(`create index ${table}_history_${i}_idx on ${table}_history ${columns}`);
      }
      // The versions that ended after t (an as-of read's `sys_to > t`): few, for a recent t.
      this.addSql(`create index ${table}_history_sys_to_idx on ${table}_history (sys_to)`);

      this.addSql(`
        create function ${table}_history_update() returns trigger language plpgsql as $$
        declare
          probe ${table};
          past ${table};
        begin
          probe := new;
          probe.updated_at := old.updated_at;
          probe.version := old.version;
          probe.sys_from := old.sys_from;
          probe.sys_to := old.sys_to;
          new.sys_to := null;
          if probe is not distinct from old then
            new.sys_from := old.sys_from;
            return new;
          end if;
          new.sys_from := greatest(history_clock(), old.sys_from);
          past := old;
          past.sys_to := new.sys_from;
          insert into ${table}_history select (past).*;
          return new;
        end $$`);
      this.addSql(`create trigger ${table}_z_history before update on ${table} for each row execute function ${table}_history_update()`);
      this.addSql(`
        create function ${table}_history_delete() returns trigger language plpgsql as $$
        declare
          past ${table};
        begin
          past := old;
          past.sys_to := greatest(history_clock(), old.sys_from);
          insert into ${table}_history select (past).*;
          return null;
        end $$`);
      this.addSql(
        `create trigger ${table}_z_history_delete after delete on ${table} for each row execute function ${table}_history_delete()`,
      );
      this.addSql(`
        create function ${table}_as_of(t timestamptz) returns setof ${table} language sql stable parallel safe as $$
          select * from ${table}_versions where sys_from <= t and (sys_to is null or sys_to > t)
        $$`);
      // The statistics of the whole (live and history): ANALYZE of the parent. Autovacuum never does it
      // (the parent has no rows of its own): the application repeats it (src/database/history-statistics.ts).
      this.addSql(`analyze ${table}_versions`);
    }
  }

  override down(): void {
    for (const table of TABLES) {
      this.addSql(`drop function if exists ${table}_as_of(timestamptz)`);
      this.addSql(`drop trigger if exists ${table}_z_history on ${table}`);
      this.addSql(`drop trigger if exists ${table}_z_history_delete on ${table}`);
      this.addSql(`drop function if exists ${table}_history_update()`);
      this.addSql(`drop function if exists ${table}_history_delete()`);
      this.addSql(`drop table if exists ${table}_history`);
      this.addSql(`alter table ${table} no inherit ${table}_versions`);
      this.addSql(`drop table if exists ${table}_versions`);
      this.addSql(
        `alter table ${table} drop constraint if exists ${table}_sys_to_live, drop column if exists sys_from, drop column if exists sys_to`,
      );
    }
    this.addSql('drop function if exists history_clock()');
  }
}
