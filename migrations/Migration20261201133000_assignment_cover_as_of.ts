import { Migration } from '@mikro-orm/migrations';

/**
 * Head counts as of an instant read the assignments of each unit from the index alone, as the head
 * counts of now do (issue 11 point 3; docs/performance.md, "As-of lists"): `org_person_as_of(t)` tests
 * `sys_from` and `sys_to` of every live assignment, which org_person_unit_cover_idx did not hold (a
 * heap read per assignment of the subtree: 17,775 for a project root of the bench). Updates of an
 * assignment change an indexed column already (its period, its role), so the wider entry costs them
 * no heap-only update they had.
 */
export class Migration20261201133000_assignment_cover_as_of extends Migration {
  override up(): void {
    this.addSql('set local statement_timeout = 0');
    this.addSql('drop index org_person_unit_cover_idx');
    this.addSql(
      'create index org_person_unit_cover_idx on org_person (org_unit_id) include (person_id, org_role_id, valid_from, valid_to, sys_from, sys_to)',
    );
  }

  override down(): void {
    this.addSql('drop index org_person_unit_cover_idx');
    this.addSql(
      'create index org_person_unit_cover_idx on org_person (org_unit_id) include (person_id, org_role_id, valid_from, valid_to)',
    );
  }
}
