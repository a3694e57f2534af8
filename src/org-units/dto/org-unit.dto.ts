import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsObject, IsOptional, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';
import { FreeText } from '../../common/validation/free-text.js';
import { DateField, IndexRequestBase, TextField, UuidField } from '../../org-chart/org-api.dto.js';
import { ORG_UNIT_EXAMPLE, OrgUnitCountsQueryDto, OrgUnitDto, OrgUnitFilterDto } from '../../org-chart/org-unit.dto.js';

const EX = ORG_UNIT_EXAMPLE;

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

/** The shared shapes (src/org-chart/org-unit.dto.ts); the view query is the `?id=` form and `with_counts`. */
export { OrgUnitDto, OrgUnitFilterDto, OrgUnitCountsQueryDto as OrgUnitViewQueryDto };
