import { Migration } from '@mikro-orm/migrations';

/**
 * The change log's cost per write (issue 11 point 9; docs/decisions.md, "The change_tx row: written
 * once, at commit"). Before: every logging statement inserted the transaction's `change_tx` row
 * (`on conflict do nothing`, an index probe per statement) with a null position, and its deferred
 * constraint trigger then updated it at commit: two heap tuples and five index entries per transaction
 * (the update changes indexed columns, so it is never HOT), a dead tuple for vacuum, and a WAL record
 * for each. Now the `change_tx` row is inserted once, at commit, with its position and commit time.
 *
 * - The deferred constraint trigger moves to `change_event`; its WHEN clause runs when the event row is
 *   inserted (PostgreSQL evaluates a constraint trigger's WHEN at once, not at commit), and
 *   `change_tx_first()` is true only for the transaction's first event (a transaction-local setting,
 *   undone with the subtransaction that set it when that one rolls back, together with its queued
 *   trigger event). So exactly one commit-time firing is queued per writing transaction, as before,
 *   in the same place of the deferred queue (at the transaction's first event).
 * - `change_tx_commit()` takes the same shared advisory lock before `nextval` (migration
 *   commit_positions: readers' barrier unchanged), then inserts the row: position, then
 *   `clock_timestamp()` read after `nextval`.
 * - The four `change_log_<table>()` functions lose their `insert into change_tx` (their text is taken
 *   from the catalog and that one statement removed: three migrations wrote them).
 */
const TABLES = ['person', 'org_unit', 'org_role', 'org_person'] as const;
const TX_INSERT = 'insert into change_tx (xid) values (pg_current_xact_id()) on conflict do nothing;';
const TX_INSERT_GONE = 'null; -- change_tx: inserted at commit (migration log_cost)';

/** Replaces `from` with `to` in the body of each change_log function; fails unless each holds `from` exactly once. */
function rewriteLogFunctions(from: string, to: string): string {
  const quoted = (text: string) => `'${text.replace(/'/g, "''")}'`;
  return `
    do $do$
    declare
      f text;
      def text;
    begin
      foreach f in array array[${TABLES.map((t) => quoted(`change_log_${t}()`)).join(', ')}] loop
        def := pg_get_functiondef(f::regprocedure);
        if (length(def) - length(replace(def, ${quoted(from)}, ''))) <> length(${quoted(from)}) then
          raise exception 'function % does not hold % exactly once', f, ${quoted(from)};
        end if;
        execute replace(def, ${quoted(from)}, ${quoted(to)});
      end loop;
    end $do$`;
}

export class Migration20261201112000_log_cost extends Migration {
  override up(): void {
    this.addSql(`
      create function change_tx_first() returns boolean language plpgsql volatile as $$
      begin
        if current_setting('organigram.change_tx_queued', true) = 'on' then
          return false;
        end if;
        perform set_config('organigram.change_tx_queued', 'on', true);
        return true;
      end $$`);
    this.addSql('drop trigger change_tx_commit on change_tx');
    this.addSql(`
      create or replace function change_tx_commit() returns trigger language plpgsql as $$
      declare
        p bigint;
      begin
        perform pg_advisory_xact_lock_shared(4242011);
        p := nextval('change_position_seq');
        insert into change_tx (xid, position, committed_at) values (pg_current_xact_id(), p, clock_timestamp());
        return null;
      end $$`);
    this.addSql(`
      create constraint trigger change_tx_commit after insert on change_event
        deferrable initially deferred for each row when (change_tx_first()) execute function change_tx_commit()`);
    this.addSql(rewriteLogFunctions(TX_INSERT, TX_INSERT_GONE));
  }

  override down(): void {
    this.addSql(rewriteLogFunctions(TX_INSERT_GONE, TX_INSERT));
    this.addSql('drop trigger change_tx_commit on change_event');
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
      create constraint trigger change_tx_commit after insert on change_tx
        deferrable initially deferred for each row execute function change_tx_commit()`);
    this.addSql('drop function change_tx_first()');
  }
}
