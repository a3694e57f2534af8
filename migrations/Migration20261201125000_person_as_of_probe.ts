import { Migration } from '@mikro-orm/migrations';

/** `sys_to`, with the open end of a live row as +infinity: one comparison that an index answers. */
const OPEN_END = `coalesce(sys_to, 'infinity'::timestamptz)`;

/**
 * An as_of read of people probes `person_history` by what qualifies (issue 11 point 3; docs/decisions.md,
 * "Point-in-time reads", and docs/performance.md, "Reports of every level, as of: the history probe").
 *
 * `person_as_of(t)` said `(sys_to is null or sys_to > t)`: no index condition can hold an OR, so a join
 * that probes the people by id (the reports of the top manager: 100,000 probes) found every past version
 * of each id through `(id)` and read it from the heap only to drop it (~470,000 buffers, 0 rows). The same
 * rows as `coalesce(sys_to, 'infinity') > t` (live rows have no sys_to, past ones always have one) are an
 * index range: `(id, <open end>)` answers a probe by id with the versions open at t only, and
 * `(<open end>)` (which replaces the index on sys_to) the few versions closed after a recent t.
 * Extended statistics on the expression keep the live table's estimate exact (all its rows are open),
 * instead of a default third. Results are the same rows: only the predicate's form changes.
 */
export class Migration20261201125000_person_as_of_probe extends Migration {
  override up(): void {
    this.addSql('set local statement_timeout = 0');
    this.addSql(`create index person_history_id_open_idx on person_history (id, (${OPEN_END}))`);
    this.addSql(`create index person_history_open_idx on person_history ((${OPEN_END}))`);
    this.addSql('drop index person_history_sys_to_idx');
    this.addSql(`create statistics person_open_stx on (${OPEN_END}) from person`);
    this.addSql(`
      create or replace function person_as_of(t timestamptz) returns setof person language sql stable parallel safe as $$
        select * from person_versions where sys_from <= t and ${OPEN_END} > t
      $$`);
    this.addSql('analyze person, person_history');
  }

  override down(): void {
    this.addSql(`
      create or replace function person_as_of(t timestamptz) returns setof person language sql stable parallel safe as $$
        select * from person_versions where sys_from <= t and (sys_to is null or sys_to > t)
      $$`);
    this.addSql('drop statistics if exists person_open_stx');
    this.addSql('create index person_history_sys_to_idx on person_history (sys_to)');
    this.addSql('drop index if exists person_history_open_idx');
    this.addSql('drop index if exists person_history_id_open_idx');
  }
}
