import { Migration } from '@mikro-orm/migrations';

/**
 * The change log's timestamps without the SQL-function executor (issue 11 point 9; docs/decisions.md,
 * "change_iso: inlined, not called"). `change_iso(t)` was declared IMMUTABLE, but its body
 * (`to_char` of a timestamp) is only STABLE: PostgreSQL inlines an SQL function only when its body is
 * no more volatile than declared, so every call ran through the SQL-function executor, which parses
 * and plans the body again at the first call of each call site in each statement execution. The
 * change-log triggers call it at 4 to 8 sites per fired statement (a person's valid_from, valid_to,
 * created_at, updated_at, in one or two documents), the feed once per event row. Declared STABLE (what
 * its body is), it is inlined into the calling statement: `to_char(t at time zone 'UTC', …)` itself.
 * Same results (EXPLAIN VERBOSE shows the expression in place of the call); no index or generated
 * column uses it.
 *
 * And person updates HOT again (docs/decisions.md, "Person updates stay HOT"): migration
 * reporting_line_history added `sys_from, sys_to` to the INCLUDE of the partial indexes
 * `person_valid_from_idx` / `person_valid_to_idx`. A column in any index, partial or included, makes
 * every update that changes it a non-HOT update, and the history trigger moves `sys_from` on every
 * real change: each logged person update wrote all 12 index entries of the row (4 of them GIN trigram
 * entries) instead of none (measured: 0 of 1,000 updates HOT with the log on, 970 of 1,000 with it
 * off). Back to `include (id)`: the as-of read of reports fetches the period of the few inactive live
 * people from the heap (3% of the people; `sys_to` of a live row is always null).
 */
export class Migration20261201120000_log_cost2 extends Migration {
  override up(): void {
    this.addSql('alter function change_iso(timestamptz) stable');
    this.addSql('drop index person_valid_from_idx');
    this.addSql('create index person_valid_from_idx on person (valid_from) include (id) where valid_from is not null');
    this.addSql('drop index person_valid_to_idx');
    this.addSql('create index person_valid_to_idx on person (valid_to) include (id) where valid_to is not null');
  }

  override down(): void {
    this.addSql('drop index person_valid_to_idx');
    this.addSql('create index person_valid_to_idx on person (valid_to) include (id, sys_from, sys_to) where valid_to is not null');
    this.addSql('drop index person_valid_from_idx');
    this.addSql('create index person_valid_from_idx on person (valid_from) include (id, sys_from, sys_to) where valid_from is not null');
    this.addSql('alter function change_iso(timestamptz) immutable');
  }
}
