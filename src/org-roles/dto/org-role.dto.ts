import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsObject, IsOptional, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';
import { FreeText } from '../../common/validation/free-text.js';
import { BoolField, DateField, IndexRequestBase, TextField, UuidField } from '../../org-chart/org-api.dto.js';

const EX = { role: '9b2f6c1d-7e4a-4f0b-8c3d-2a1b0c9d8e7f', project: 'b5a7d602-3fc9-4e2a-9d1a-6e5b4c8f7a01' };

/** Body of POST /v2/org-role/create. */
export class CreateOrgRoleDto {
  @UuidField({ description: 'Optional client-supplied id; a taken id is 409.', example: EX.role })
  org_role_id?: string;

  @TextField({ maxLength: 100, nullable: true, description: 'Optional; unique within the project_id.', example: 'MGR' })
  @Matches(/\S/, { message: 'must not be blank' })
  code?: string | null;

  @ApiProperty({ maxLength: 200, example: 'Manager' })
  @IsString()
  @FreeText()
  @MaxLength(200)
  @Matches(/\S/, { message: 'must not be blank' })
  name!: string;

  @TextField({ maxLength: 2000, nullable: true, example: 'Leads the unit' }) description?: string | null;

  @UuidField({ description: 'Project (tenant) the role belongs to.', nullable: true, example: EX.project })
  project_id?: string | null;

  @DateField('Start of validity (null: unbounded).') valid_from?: Date | null;
  @DateField('End of validity, exclusive (null: unbounded).') valid_to?: Date | null;
}

export class UpdateOrgRoleDto extends PartialType(OmitType(CreateOrgRoleDto, ['org_role_id'] as const)) {}

export const ORG_ROLE_SORTS = ['code', 'name'] as const;
export type OrgRoleSort = (typeof ORG_ROLE_SORTS)[number];

/** `filter` of POST /v2/org-role/index. */
export class OrgRoleFilterDto {
  @UuidField({ description: 'Exact id.' }) org_role_id?: string;
  @TextField({ maxLength: 100, description: 'Exact code.' }) code?: string;
  @TextField({ maxLength: 200, description: 'Case-insensitive substring.' }) name?: string;
  @TextField({ maxLength: 2000, description: 'Substring (case-sensitive).' }) description?: string;
  @UuidField({ description: 'Roles of this project.' }) project_id?: string;
  @BoolField('Whether the role is active now.') owned_active?: boolean;
  @BoolField('Always true for roles (they depend on nothing).') parent_active?: boolean;
}

export class OrgRoleIndexDto extends IndexRequestBase {
  @ApiPropertyOptional({ type: OrgRoleFilterDto, example: { project_id: EX.project } })
  @IsOptional()
  @IsObject({ message: 'must be an object' })
  @ValidateNested()
  @Type(() => OrgRoleFilterDto)
  filter?: OrgRoleFilterDto;
}

/** An org role in the 4HSE dialect. */
export class OrgRoleDto {
  @ApiProperty({ format: 'uuid', example: EX.role }) org_role_id!: string;
  @ApiProperty({ type: String, nullable: true, example: 'MGR' }) code!: string | null;
  @ApiProperty({ example: 'Manager' }) name!: string;
  @ApiProperty({ type: String, nullable: true, example: 'Leads the unit' }) description!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, example: EX.project }) project_id!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null }) valid_from!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null }) valid_to!: string | null;
  @ApiProperty({ description: 'Whether this role is currently active.', example: true }) owned_active!: boolean;
  @ApiProperty({ description: 'Always true: a role depends on no other entity.', example: true }) parent_active!: boolean;
}
