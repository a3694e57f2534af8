import { Migration } from '@mikro-orm/migrations';

/**
 * The exact count of a people list as of a recent instant without reading every person (issue 11
 * point 3; docs/decisions.md, "Point-in-time reads", "The count of a list as of t").
 *
 * The people recorded at t are the live rows with `sys_from <= t` and the past versions open at t.
 * A list of now counts the live rows from `person_count` (kept by triggers) and a few index ranges; a
 * list as of t counted the whole union, a scan of every row (100,000 people: 80 ms, 17x the read of
 * now). Now it counts the list of now and corrects it by what changed after t: minus the live rows
 * that started after t, plus the past versions open at t (an index range of `person_history`).
 *
 * The live rows that started after t cannot be an index range on `sys_from`: every update moves it,
 * and an index on it would make every update of a person write all fourteen indexes again (no
 * heap-only update; the write cost of issue 11 point 9). They are two sets, found by `sys_since`, the
 * start of the row's unbroken run of versions (its insert's `sys_from`, which no update moves, so the
 * index on it costs inserts one entry and updates nothing):
 * - `sys_since > t`: inserted after t (an index range, few for a recent t);
 * - `sys_since <= t < sys_from`: existed at t and updated since, so exactly one of its past versions
 *   is open at t (each update closes the previous version where the next starts): found from that
 *   version, through the index range of `person_history` above, joined by id.
 * Rows that exist before this migration get its instant, taken once writers of people are locked
 * out, so every version they have started before it (a constant default: no row is rewritten, and
 * the now-reads keep their all-visible pages). After that instant, their runs of versions are unbroken:
 * an as-of read of a later instant is as cheap as for any row; for an earlier instant they all fall in
 * the first set, so such a count reads them all, as it did before.
 * A past version copies the row as it was, `sys_since` included (the history triggers copy whole rows).
 */
export class Migration20261201130000_person_sys_since extends Migration {
  override up(): void {
    this.addSql('set local statement_timeout = 0');
    // No writer of people may commit between the instant and the column (a version started after
    // the instant would be taken for unbroken since it).
    this.addSql('lock table person in share row exclusive mode');
    // Added to the parent: both children (person and person_history) get it in the same position. A
    // constant default (the instant, as a literal) is stored once, not written into each row.
    this.addSql(`do $$ begin
        execute format('alter table person_versions add column sys_since timestamptz not null default %L', history_clock());
      end $$`);
    // From now on only the trigger below sets it.
    this.addSql('alter table person_versions alter column sys_since drop default');
    this.addSql(`
      create function person_sys_since() returns trigger language plpgsql as $$
      begin
        if tg_op = 'INSERT' then
          new.sys_since := new.sys_from;
        else
          new.sys_since := old.sys_since;
        end if;
        return new;
      end $$`);
    // BEFORE triggers fire in name order: `person_z_history` runs first (on update it may move
    // sys_from), so this one, named after it, sees the final sys_from of an insert.
    this.addSql(
      'create trigger person_zz_sys_since before insert or update of sys_since on person for each row execute function person_sys_since()',
    );
    this.addSql('create index person_sys_since_idx on person (sys_since) include (id)');
    this.addSql('analyze person');
  }

  override down(): void {
    this.addSql('drop trigger if exists person_zz_sys_since on person');
    this.addSql('drop function if exists person_sys_since()');
    this.addSql('drop index if exists person_sys_since_idx');
    this.addSql('alter table person_versions drop column if exists sys_since');
  }
}
