import { Migration } from '@mikro-orm/migrations';

/**
 * The walks of the people list carry `sys_since` (Migration20261201130000_person_sys_since), so that a
 * page as of an instant walks the same index-only range as the page of now (issue 11 point 3;
 * docs/performance.md, "As-of lists"). A live row is the version recorded at t exactly when it had
 * started its unbroken run by t (`sys_since <= t`) and no past version of it is open at t (the few of
 * those come from a short range of `person_history`): both without reading the row. `sys_since` never
 * changes after the insert, so the wider entries keep person updates heap-only.
 */
export class Migration20261201132000_person_walk_as_of extends Migration {
  override up(): void {
    this.addSql('set local statement_timeout = 0');
    this.addSql('drop index person_id_validity_idx');
    this.addSql('create index person_id_validity_idx on person (id) include (valid_from, valid_to, sys_since)');
    this.addSql('drop index person_last_id_validity_idx');
    this.addSql('create index person_last_id_validity_idx on person (last_name, id) include (valid_from, valid_to, sys_since)');
  }

  override down(): void {
    this.addSql('drop index person_id_validity_idx');
    this.addSql('create index person_id_validity_idx on person (id) include (valid_from, valid_to)');
    this.addSql('drop index person_last_id_validity_idx');
    this.addSql('create index person_last_id_validity_idx on person (last_name, id) include (valid_from, valid_to)');
  }
}
