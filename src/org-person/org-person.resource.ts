import { ConflictError, InvalidInputError } from '../common/errors/domain-errors.js';
import type { OrgResource } from '../org-chart/org-resource.js';
import { ORG_PERSON_SORTS, type OrgPersonDto, type OrgPersonSort } from './dto/org-person.dto.js';
import { OrgPersonSchema, type OrgPerson } from './org-person.entity.js';
import { mapOrgPerson } from './org-person.mapper.js';
import type { OrgPersonRow } from './org-person.repository.js';

export function duplicateAssignment(existing?: string): ConflictError {
  return new ConflictError(
    `This person already has an active assignment to this unit with this role${existing ? ` (org_person_id ${existing})` : ''}.`,
  );
}

/** A reference that was deleted between the check and the write. */
const gone = (field: string) => () => InvalidInputError.field(field, 'does not exist (it was deleted meanwhile)');

/** OrgPerson's entry of the 4HSE resource table (see org-chart/org-resource.ts). */
export const ORG_PERSON: OrgResource<OrgPerson, OrgPersonRow, OrgPersonDto, OrgPersonSort> = {
  name: 'org-person',
  noun: 'assignment',
  entity: OrgPersonSchema,
  sorts: ORG_PERSON_SORTS,
  toDto: mapOrgPerson,
  // The checks give the messages; the constraints settle races between concurrent writers.
  constraints: {
    org_person_pkey: ({ id }) => new ConflictError(`An assignment with id ${id} already exists.`),
    org_person_active_uniq: () => duplicateAssignment(),
    org_person_role_same_project: ({ projectField }) =>
      InvalidInputError.field(projectField ?? 'org_role_id', "the role's project and the unit's differ (changed meanwhile)"),
    org_person_person_id_fkey: gone('person_id'),
    org_person_org_unit_id_fkey: gone('org_unit_id'),
    org_person_org_role_id_fkey: gone('org_role_id'),
  },
};
