import { Migration } from '@mikro-orm/migrations';

/**
 * SCIM Users cursor paging at constant cost per page (issue 14 point 3, docs/decisions.md "SCIM
 * manager" and "SCIM cursor pages"): the default cursor order is (meta.created, id) = (created_at,
 * id); with this index a page after any cursor is one index range of count + 1 rows instead of a
 * sort of the whole table. The manager itself needed no schema change (person.manager_id,
 * Migration20261201080000).
 */
export class Migration20261201111000_scim_manager extends Migration {
  override up(): void {
    this.addSql('create index person_created_id_idx on person (created_at, id)');
  }

  override down(): void {
    this.addSql('drop index if exists person_created_id_idx');
  }
}
