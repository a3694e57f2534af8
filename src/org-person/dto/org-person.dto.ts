import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsObject, IsOptional, ValidateNested } from 'class-validator';
import { BoolField, DateField, IndexRequestBase, RequiredUuidField, TextField, UuidField } from '../../org-chart/org-api.dto.js';

const EX = {
  assignment: '5f0c3b7e-4f43-4e0b-9a52-1f3f1c2d9a10',
  person: '1f6d2c9e-3b0a-4c1e-9a4f-0c2b7e5d8a11',
  unit: '123e4567-e89b-12d3-a456-426655440000',
  role: '9b2f6c1d-7e4a-4f0b-8c3d-2a1b0c9d8e7f',
};

/** Body of POST /v2/org-person/create. */
export class CreateOrgPersonDto {
  @UuidField({ description: 'Optional client-supplied id; a taken id is 409.', example: EX.assignment })
  org_person_id?: string;

  @RequiredUuidField({ description: 'The person (must exist).', example: EX.person })
  person_id!: string;

  @RequiredUuidField({ description: 'The org unit (must exist).', example: EX.unit })
  org_unit_id!: string;

  @UuidField({ description: 'The role (optional; must exist when given).', nullable: true, example: EX.role })
  org_role_id?: string | null;

  @DateField('Start of validity (null: unbounded).') valid_from?: Date | null;
  @DateField('End of validity, exclusive (null: unbounded).') valid_to?: Date | null;
}

/** Body of PUT /v2/org-person/update: partial; the id is not an input. */
export class UpdateOrgPersonDto extends PartialType(OmitType(CreateOrgPersonDto, ['org_person_id'] as const)) {}

export const ORG_PERSON_SORTS = [
  'org_person_id',
  'person_id',
  'org_unit_id',
  'org_role_id',
  'person_first_name',
  'person_last_name',
  'org_unit_name',
  'org_role_name',
] as const;
export type OrgPersonSort = (typeof ORG_PERSON_SORTS)[number];

/** `filter` of POST /v2/org-person/index: exact matches. */
export class OrgPersonFilterDto {
  @UuidField({ description: 'Exact id.' }) org_person_id?: string;
  @UuidField({ description: 'Assignments of this person.' }) person_id?: string;
  @UuidField({ description: 'Assignments in this unit (not its descendants).' }) org_unit_id?: string;
  @UuidField({ description: 'Assignments with this role; null: assignments without a role.', nullable: true }) org_role_id?: string | null;
  @TextField({ maxLength: 100 }) org_unit_code?: string;
  @TextField({ maxLength: 200 }) org_unit_name?: string;
  @TextField({ maxLength: 100 }) org_role_code?: string;
  @TextField({ maxLength: 200 }) org_role_name?: string;
  @TextField({ maxLength: 100 }) person_first_name?: string;
  @TextField({ maxLength: 100 }) person_last_name?: string;
  @TextField({ maxLength: 254, description: 'Case-insensitive.' }) person_email?: string;
  @UuidField({ description: 'Project of the unit.' }) project_id?: string;
  @BoolField('Whether the assignment itself is active now.') owned_active?: boolean;
  @BoolField('Whether its person, unit (with all ancestors) and role are active now.') parent_active?: boolean;
}

/** Body of POST /v2/org-person/index. */
export class OrgPersonIndexDto extends IndexRequestBase {
  @ApiPropertyOptional({ type: OrgPersonFilterDto, example: { org_unit_id: EX.unit } })
  @IsOptional()
  @IsObject({ message: 'must be an object' })
  @ValidateNested()
  @Type(() => OrgPersonFilterDto)
  filter?: OrgPersonFilterDto;
}

/** An assignment in the 4HSE dialect, with read-only joined fields. */
export class OrgPersonDto {
  @ApiProperty({ format: 'uuid', example: EX.assignment }) org_person_id!: string;
  @ApiProperty({ format: 'uuid', example: EX.person }) person_id!: string;
  @ApiProperty({ format: 'uuid', example: EX.unit }) org_unit_id!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, example: EX.role }) org_role_id!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null }) valid_from!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null }) valid_to!: string | null;
  @ApiProperty({ description: 'Whether this assignment is currently active.', example: true }) owned_active!: boolean;
  @ApiProperty({ description: 'Whether its person, unit (and ancestors) and role are currently active.', example: true })
  parent_active!: boolean;
  @ApiProperty({ type: String, nullable: true, example: 'ORG-001', readOnly: true }) org_unit_code!: string | null;
  @ApiProperty({ example: 'HR', readOnly: true }) org_unit_name!: string;
  @ApiProperty({ type: String, nullable: true, example: 'MGR', readOnly: true }) org_role_code!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'Manager', readOnly: true }) org_role_name!: string | null;
  @ApiProperty({ example: 'Ada', readOnly: true }) person_first_name!: string;
  @ApiProperty({ example: 'Lovelace', readOnly: true }) person_last_name!: string;
  @ApiProperty({ example: 'Ada.Lovelace@example.com', readOnly: true }) person_email!: string;
}
