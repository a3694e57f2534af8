import { ConflictError, InvalidInputError } from '../common/errors/domain-errors.js';
import type { OrgResource } from '../org-chart/org-resource.js';
import { ORG_UNIT_SORTS, type OrgUnitDto, type OrgUnitSort } from './dto/org-unit.dto.js';
import { OrgUnitSchema, type OrgUnit } from './org-unit.entity.js';

export const CYCLE = 'would create a cycle';

export function missingParent(id: string): InvalidInputError {
  return InvalidInputError.field('parent_org_unit_id', `does not exist: ${id}`);
}

export function codeTaken(code: string): ConflictError {
  return new ConflictError(`An org unit with code ${code} already exists in this project.`);
}

/** OrgUnit's entry of the 4HSE resource table (see org-chart/org-resource.ts). */
export const ORG_UNIT: OrgResource<OrgUnit, OrgUnitDto, OrgUnitDto, OrgUnitSort> = {
  name: 'org-unit',
  noun: 'org unit',
  entity: OrgUnitSchema,
  sorts: ORG_UNIT_SORTS,
  toDto: (row) => row,
  // The checks give the messages; constraints and the cycle trigger settle races.
  constraints: {
    org_unit_pkey: ({ id }) => new ConflictError(`An org unit with id ${id} already exists.`),
    org_unit_project_code_uniq: ({ code }) => codeTaken(code ?? ''),
    org_unit_parent_id_fkey: () => InvalidInputError.field('parent_org_unit_id', 'does not exist (it was deleted meanwhile)'),
    org_unit_no_cycle: () => InvalidInputError.field('parent_org_unit_id', CYCLE),
    org_unit_not_own_parent: () => InvalidInputError.field('parent_org_unit_id', CYCLE),
    org_unit_parent_project_fkey: ({ projectField }) =>
      InvalidInputError.field(projectField ?? 'parent_org_unit_id', 'the parent or a child unit is in another project (changed meanwhile)'),
    org_unit_assignments_same_project: () =>
      InvalidInputError.field('project_id', 'an assignment in the unit holds a role of another project (added meanwhile)'),
  },
};
