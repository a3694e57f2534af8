import { ConflictError, InvalidInputError } from '../common/errors/domain-errors.js';
import type { OrgResource } from '../org-chart/org-resource.js';
import { ORG_ROLE_SORTS, type OrgRoleDto, type OrgRoleSort } from './dto/org-role.dto.js';
import { OrgRoleSchema, type OrgRole } from './org-role.entity.js';

export function codeTaken(code: string): ConflictError {
  return new ConflictError(`An org role with code ${code} already exists in this project.`);
}

/** OrgRole's entry of the 4HSE resource table (see org-chart/org-resource.ts). */
export const ORG_ROLE: OrgResource<OrgRole, OrgRoleDto, OrgRoleDto, OrgRoleSort> = {
  name: 'org-role',
  noun: 'org role',
  entity: OrgRoleSchema,
  sorts: ORG_ROLE_SORTS,
  toDto: (row) => row,
  constraints: {
    org_role_pkey: ({ id }) => new ConflictError(`An org role with id ${id} already exists.`),
    org_role_project_code_uniq: ({ code }) => codeTaken(code ?? ''),
    org_role_assignments_same_project: () =>
      InvalidInputError.field('project_id', 'an assignment holds this role in a unit of another project (added meanwhile)'),
  },
};
