import { Migration } from '@mikro-orm/migrations';

/**
 * The reports of a manager as one index-only range with their ids (docs/performance.md, "Reports"):
 * the count of the active reports of the top of the tree is one pass over the range that looks each
 * report up in the hashed set of the few inactive people, now and as of an instant; without the id in
 * the index, that pass read every report's heap row (100,000 for the top manager). Closure rows are
 * only ever inserted and deleted, so the wider entry costs updates nothing.
 */
export class Migration20261201131000_reporting_line_range_ids extends Migration {
  override up(): void {
    this.addSql('set local statement_timeout = 0');
    this.addSql('create index reporting_line_range_idx on reporting_line (ancestor_id, depth) include (person_id, sys_from, sys_to)');
    this.addSql('drop index reporting_line_depth_idx');
  }

  override down(): void {
    this.addSql('create index reporting_line_depth_idx on reporting_line (ancestor_id, depth) include (sys_from, sys_to)');
    this.addSql('drop index if exists reporting_line_range_idx');
  }
}
