import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsObject, IsOptional, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';
import { FreeText } from '../../common/validation/free-text.js';
import { ToBoolean } from '../../common/validation/validation.js';
import { BoolField, DateField, IdQueryDto, IndexRequestBase, TextField, UuidField } from '../../org-chart/org-api.dto.js';

const EX = {
  unit: '123e4567-e89b-12d3-a456-426655440000',
  parent: '6a1f2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b',
  project: 'b5a7d602-3fc9-4e2a-9d1a-6e5b4c8f7a01',
};

/** Body of POST /v2/org-unit/create. */
export class CreateOrgUnitDto {
  @UuidField({ description: 'Optional client-supplied id; a taken id is 409.', example: EX.unit })
  org_unit_id?: string;

  @TextField({ maxLength: 100, nullable: true, description: 'Optional; unique within the project_id.', example: 'ORG-001' })
  @Matches(/\S/, { message: 'must not be blank' })
  code?: string | null;

  @ApiProperty({ maxLength: 200, example: 'HR' })
  @IsString()
  @FreeText()
  @MaxLength(200)
  @Matches(/\S/, { message: 'must not be blank' })
  name!: string;

  @TextField({ maxLength: 2000, nullable: true, example: 'HR department' }) description?: string | null;

  @UuidField({ description: 'Parent unit (must exist); null or absent for a root.', nullable: true, example: EX.parent })
  parent_org_unit_id?: string | null;

  @UuidField({ description: 'Project (tenant) the unit belongs to.', nullable: true, example: EX.project })
  project_id?: string | null;

  @TextField({
    maxLength: 255,
    nullable: true,
    description: "The identity provider's id of the unit (a SCIM Group's externalId): case kept, not unique.",
    example: 'a1b2c3',
  })
  external_id?: string | null;

  @DateField('Start of validity (null: unbounded).') valid_from?: Date | null;
  @DateField('End of validity, exclusive (null: unbounded).') valid_to?: Date | null;
}

/** Body of PUT /v2/org-unit/update: partial; moving a unit = changing parent_org_unit_id. */
export class UpdateOrgUnitDto extends PartialType(OmitType(CreateOrgUnitDto, ['org_unit_id'] as const)) {}

export const ORG_UNIT_SORTS = ['code', 'name'] as const;
export type OrgUnitSort = (typeof ORG_UNIT_SORTS)[number];

/** `filter` of POST /v2/org-unit/index. */
export class OrgUnitFilterDto {
  @UuidField({ description: 'Exact id.' }) org_unit_id?: string;
  @TextField({ maxLength: 100, description: 'Exact code.' }) code?: string;
  @TextField({ maxLength: 200, description: 'Case-insensitive substring.' }) name?: string;
  @TextField({ maxLength: 2000, description: 'Substring (case-sensitive).' }) description?: string;
  @UuidField({ description: 'Direct children of this unit; null: the roots.', nullable: true }) parent_org_unit_id?: string | null;
  @UuidField({ description: 'Units of this project.' }) project_id?: string;
  @BoolField('Whether the unit itself is active now.') owned_active?: boolean;
  @BoolField('Whether all its ancestors are active now.') parent_active?: boolean;
}

/** Body of POST /v2/org-unit/index. */
export class OrgUnitIndexDto extends IndexRequestBase {
  @ApiPropertyOptional({ type: OrgUnitFilterDto, example: { project_id: EX.project } })
  @IsOptional()
  @IsObject({ message: 'must be an object' })
  @ValidateNested()
  @Type(() => OrgUnitFilterDto)
  filter?: OrgUnitFilterDto;

  @ApiPropertyOptional({ description: 'If true, each unit carries head_count and total_head_count (contract section 11).', example: false })
  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  with_counts?: boolean;
}

/** Query of GET /v2/org-unit/view: the `?id=` form and `with_counts` (true/false/1/0). */
export class OrgUnitViewQueryDto extends IdQueryDto {
  @ApiPropertyOptional({ type: Boolean, example: false, description: 'If true, the unit carries head_count and total_head_count.' })
  @IsOptional()
  @ToBoolean()
  @IsBoolean({ message: 'must be true, false, 1 or 0' })
  with_counts?: boolean;
}

/** An org unit in the 4HSE dialect. */
export class OrgUnitDto {
  @ApiProperty({ format: 'uuid', example: EX.unit }) org_unit_id!: string;
  @ApiProperty({ type: String, nullable: true, example: 'ORG-001' }) code!: string | null;
  @ApiProperty({ example: 'HR' }) name!: string;
  @ApiProperty({ type: String, nullable: true, example: 'HR department' }) description!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, example: EX.parent }) parent_org_unit_id!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, example: EX.project }) project_id!: string | null;
  @ApiProperty({ type: String, nullable: true, maxLength: 255, example: null }) external_id!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null }) valid_from!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null }) valid_to!: string | null;
  @ApiProperty({ description: 'Whether this unit is currently active.', example: true }) owned_active!: boolean;
  @ApiProperty({ description: 'Whether all its ancestor units are currently active.', example: true }) parent_active!: boolean;

  @ApiPropertyOptional({
    type: 'integer',
    format: 'int32',
    minimum: 0,
    maximum: 2_147_483_647,
    description: 'With with_counts: distinct persons with an active assignment in this unit itself.',
    example: 4,
  })
  head_count?: number;

  @ApiPropertyOptional({
    type: 'integer',
    format: 'int32',
    minimum: 0,
    maximum: 2_147_483_647,
    description: 'With with_counts: distinct persons with an active assignment in this unit or any active descendant.',
    example: 42,
  })
  total_head_count?: number;
}
