import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional } from 'class-validator';
import { ToBoolean } from '../common/validation/validation.js';
import { BoolField, TextField, UuidField, ViewQueryDto } from './org-api.dto.js';

/**
 * The org-unit shapes the org-unit routes (src/org-units) and the hierarchy reads (src/org-hierarchy)
 * share: the unit as answered, the index filter (which descendants applies to a subtree), and the
 * view query's `with_counts`. Declared once here, in the kernel both features may import.
 */

export const ORG_UNIT_EXAMPLE = {
  unit: '123e4567-e89b-12d3-a456-426655440000',
  parent: '6a1f2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b',
  project: 'b5a7d602-3fc9-4e2a-9d1a-6e5b4c8f7a01',
} as const;
const EX = ORG_UNIT_EXAMPLE;

/** Counts are PostgreSQL integers. */
export const INT32_MAX = 2_147_483_647;

/** `filter` of POST /v2/org-unit/index, and of POST /v2/org-unit/descendants (applied to the subtree's rows). */
export class OrgUnitFilterDto {
  @UuidField({ description: 'Exact id.' }) org_unit_id?: string;
  @TextField({ maxLength: 100, description: 'Exact code.' }) code?: string;
  @TextField({ maxLength: 200, description: 'Case-insensitive substring.' }) name?: string;
  @TextField({ maxLength: 2000, description: 'Substring (case-sensitive).' }) description?: string;
  @UuidField({ description: 'Direct children of this unit (within the subtree for descendants); null: the roots.', nullable: true })
  parent_org_unit_id?: string | null;
  @UuidField({ description: 'Units of this project.' }) project_id?: string;
  @BoolField('Whether the unit itself is active at the instant of the request.') owned_active?: boolean;
  @BoolField('Whether all its ancestors are active at the instant of the request.') parent_active?: boolean;
}

/** Query of GET /v2/org-unit/view (the `?id=` form) and of the ancestors: `with_counts` (true/false/1/0). */
export class OrgUnitCountsQueryDto extends ViewQueryDto {
  @ApiPropertyOptional({ type: Boolean, example: false, description: 'If true, each unit carries head_count and total_head_count.' })
  @IsOptional()
  @ToBoolean()
  @IsBoolean({ message: 'must be true, false, 1 or 0' })
  with_counts?: boolean;
}

/** An org unit in the 4HSE dialect, with its head counts when they were asked for (contract section 11). */
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
  @ApiProperty({ description: 'Whether this unit is active at the instant of the request.', example: true }) owned_active!: boolean;
  @ApiProperty({ description: 'Whether all its ancestor units are active at the instant of the request.', example: true })
  parent_active!: boolean;

  @ApiPropertyOptional({
    type: 'integer',
    format: 'int32',
    minimum: 0,
    maximum: INT32_MAX,
    description: 'With with_counts: distinct persons with an active assignment in this unit itself.',
    example: 4,
  })
  head_count?: number;

  @ApiPropertyOptional({
    type: 'integer',
    format: 'int32',
    minimum: 0,
    maximum: INT32_MAX,
    description: 'With with_counts: distinct persons with an active assignment in this unit or any active descendant.',
    example: 42,
  })
  total_head_count?: number;
}
