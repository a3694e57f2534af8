import { Migration } from '@mikro-orm/migrations';

/**
 * Head counts of the hierarchy reads (contract section 11, docs/decisions.md "Hierarchy reads"):
 * - org_person_unit_cover_idx: the assignments of a unit with what the count needs (person, role,
 *   validity), so counting a subtree of 1,000 units and 60,000 assignments is index-only scans, not
 *   60,000 heap visits. It makes org_person_unit_idx (org_unit_id, id) redundant for lookups by unit,
 *   but that one keeps the id order the assignment lists page in, so both stay.
 * - person_valid_to_idx, person_valid_from_idx: the people who are not active at an instant (ended,
 *   or not yet started) are few; partial indexes find them without reading every person, and the
 *   count excludes them with one hashed anti-join instead of a lookup per assignment.
 */
export class Migration20261201070000_hierarchy_counts extends Migration {
  override up(): void {
    this.addSql(
      'create index org_person_unit_cover_idx on org_person (org_unit_id) include (person_id, org_role_id, valid_from, valid_to)',
    );
    this.addSql('create index person_valid_to_idx on person (valid_to) include (id) where valid_to is not null');
    this.addSql('create index person_valid_from_idx on person (valid_from) include (id) where valid_from is not null');
  }

  override down(): void {
    this.addSql('drop index if exists person_valid_from_idx');
    this.addSql('drop index if exists person_valid_to_idx');
    this.addSql('drop index if exists org_person_unit_cover_idx');
  }
}
