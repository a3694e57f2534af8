import { Migration } from '@mikro-orm/migrations';

/**
 * Commit positions without a lock held through every commit (issue 11 point 9; docs/decisions.md,
 * "Positions at commit, not at insert").
 *
 * Writers: `change_tx_commit()` takes advisory lock 4242011 SHARED before `nextval`, so writers never
 * wait for each other; the transaction-scoped lock is released only after the commit is visible.
 * `committed_at` is read after `nextval`.
 *
 * Readers: `change_log_settled(known)` returns S, the last position handed out so far; when S is
 * above `known` (a horizon the caller already settled), it first takes the same lock EXCLUSIVELY:
 * that waits for every transaction that was already committing, i.e. every holder of a position
 * <= S. The caller's next statement (a new snapshot) then sees every position <= S committed, or
 * never will: reading only positions <= S never skips one. Call it outside any transaction: the
 * lock is transaction-scoped, so its own statement's transaction releases it at once (a session
 * lock could be left behind on a pooled connection by a cancel between lock and unlock).
 */
export class Migration20261201095000_commit_positions extends Migration {
  override up(): void {
    this.addSql(`
      create or replace function change_tx_commit() returns trigger language plpgsql as $$
      declare
        p bigint;
      begin
        perform pg_advisory_xact_lock_shared(4242011);
        p := nextval('change_position_seq');
        update change_tx set position = p, committed_at = clock_timestamp() where xid = new.xid;
        return null;
      end $$`);
    this.addSql(`
      create function change_log_settled(known bigint) returns bigint language plpgsql volatile as $$
      declare
        s bigint;
      begin
        select case when is_called then last_value else 0 end into s from change_position_seq;
        if s > known then
          perform pg_advisory_xact_lock(4242011);
        end if;
        return s;
      end $$`);
  }

  override down(): void {
    this.addSql('drop function if exists change_log_settled(bigint)');
    this.addSql(`
      create or replace function change_tx_commit() returns trigger language plpgsql as $$
      begin
        perform pg_advisory_xact_lock(4242011);
        update change_tx set position = nextval('change_position_seq'), committed_at = clock_timestamp() where xid = new.xid;
        return null;
      end $$`);
  }
}
