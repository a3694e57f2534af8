import type { OrgPersonDto } from './dto/org-person.dto.js';
import type { OrgPersonRow } from './org-person.repository.js';

/** Read row -> 4HSE dialect (the row already carries the dialect's names; project_id stays internal). */
export function mapOrgPerson(row: OrgPersonRow): OrgPersonDto {
  return {
    org_person_id: row.org_person_id,
    person_id: row.person_id,
    org_unit_id: row.org_unit_id,
    org_role_id: row.org_role_id,
    valid_from: row.valid_from,
    valid_to: row.valid_to,
    owned_active: row.owned_active,
    parent_active: row.parent_active,
    org_unit_code: row.org_unit_code,
    org_unit_name: row.org_unit_name,
    org_role_code: row.org_role_code,
    org_role_name: row.org_role_name,
    person_first_name: row.person_first_name,
    person_last_name: row.person_last_name,
    person_email: row.person_email,
  };
}
