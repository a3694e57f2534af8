import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsInt, IsObject, IsOptional, IsString, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { DEFAULT_PER_PAGE, MAX_PER_PAGE, type PageRequest } from '../../common/pagination/page.js';
import { FreeText } from '../../common/validation/free-text.js';
import { ToBoolean } from '../../common/validation/validation.js';
import { BoolField, RequiredUuidField, TextField, UuidField } from '../../org-chart/org-api.dto.js';

const EX = {
  unit: '123e4567-e89b-12d3-a456-426655440000',
  parent: '6a1f2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b',
  project: 'b5a7d602-3fc9-4e2a-9d1a-6e5b4c8f7a01',
};

/** The deepest `depth` a descendants request may ask for (a bound on the request, not on the tree). */
export const MAX_DESCENDANT_DEPTH = 1000;

/** Counts and depths are PostgreSQL integers. */
const INT32_MAX = 2_147_483_647;

const BOOL = { message: 'must be true, false, 1 or 0' };

/**
 * A boolean of the query string (`history`, `with_counts` of the GET hierarchy routes): true/false/1/0.
 */
function QueryBool(description: string) {
  return (target: object, key: string) => {
    ApiPropertyOptional({ type: Boolean, example: false, description })(target, key);
    IsOptional()(target, key);
    ToBoolean()(target, key);
    IsBoolean(BOOL)(target, key);
  };
}

/** Query of GET /v2/org-unit/ancestors/{id} (and `?id=`). */
export class AncestorsQueryDto {
  @ApiPropertyOptional({ type: String, maxLength: 64, description: 'The id, for the ?id= form (dashed or 32 hex digits).' })
  @IsOptional()
  @IsString()
  @FreeText()
  @MaxLength(64)
  id?: string;

  @QueryBool('If true, also lists inactive ancestors (and those below an inactive one).')
  history?: boolean;

  @QueryBool('If true, each unit carries head_count and total_head_count.')
  with_counts?: boolean;
}

/** `filter` of POST /v2/org-unit/descendants: the org-unit index filters, applied to the subtree's rows. */
export class DescendantsFilterDto {
  @UuidField({ description: 'Exact id.' }) org_unit_id?: string;
  @TextField({ maxLength: 100, description: 'Exact code.' }) code?: string;
  @TextField({ maxLength: 200, description: 'Case-insensitive substring.' }) name?: string;
  @TextField({ maxLength: 2000, description: 'Substring (case-sensitive).' }) description?: string;
  @UuidField({ description: 'Direct children of this unit (within the subtree).', nullable: true }) parent_org_unit_id?: string | null;
  @UuidField({ description: 'Units of this project.' }) project_id?: string;
  @BoolField('Whether the unit itself is active.') owned_active?: boolean;
  @BoolField('Whether all its ancestors are active.') parent_active?: boolean;
}

/** Body of POST /v2/org-unit/descendants. */
export class DescendantsRequestDto {
  @RequiredUuidField({ description: 'The unit whose descendants are listed (it is not listed itself).', example: EX.unit })
  org_unit_id!: string;

  @ApiPropertyOptional({
    type: 'integer',
    format: 'int32',
    minimum: 1,
    maximum: MAX_DESCENDANT_DEPTH,
    description: 'Levels below the unit: 1 = children only; absent = all levels.',
    example: 2,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_DESCENDANT_DEPTH)
  depth?: number;

  @ApiPropertyOptional({ type: DescendantsFilterDto, example: { name: 'sales' } })
  @IsOptional()
  @IsObject({ message: 'must be an object' })
  @ValidateNested()
  @Type(() => DescendantsFilterDto)
  filter?: DescendantsFilterDto;

  @ApiPropertyOptional({ description: 'If true, includes historicized units and the subtrees below them.', example: false })
  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  history?: boolean;

  @ApiPropertyOptional({ description: 'If true, each unit carries head_count and total_head_count.', example: true })
  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  with_counts?: boolean;

  @ApiPropertyOptional({
    name: 'per-page',
    type: 'integer',
    format: 'int32',
    minimum: 1,
    maximum: MAX_PER_PAGE,
    default: DEFAULT_PER_PAGE,
    example: 100,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_PER_PAGE)
  'per-page'?: number;

  @ApiPropertyOptional({ type: 'integer', format: 'int32', minimum: 1, maximum: 1_000_000, default: 1, example: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  page?: number;

  pageRequest(): PageRequest {
    return { page: this.page ?? 1, perPage: this['per-page'] ?? DEFAULT_PER_PAGE };
  }
}

/** Head counts of a unit (contract section 11), present when they were asked for. */
export interface HeadCounts {
  head_count: number;
  total_head_count: number;
}

/** An org unit as the hierarchy reads answer it: the 4HSE org-unit fields, and head counts when asked. */
export class HierarchyUnitDto {
  @ApiProperty({ format: 'uuid', example: EX.unit }) org_unit_id!: string;
  @ApiProperty({ type: String, nullable: true, example: 'ORG-001' }) code!: string | null;
  @ApiProperty({ example: 'HR' }) name!: string;
  @ApiProperty({ type: String, nullable: true, example: 'HR department' }) description!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, example: EX.parent }) parent_org_unit_id!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, example: EX.project }) project_id!: string | null;
  @ApiProperty({ type: String, nullable: true, maxLength: 255, example: null }) external_id!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null }) valid_from!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null }) valid_to!: string | null;
  @ApiProperty({ description: 'Whether this unit is active at the instant.', example: true }) owned_active!: boolean;
  @ApiProperty({ description: 'Whether all its ancestor units are active at the instant.', example: true }) parent_active!: boolean;

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

/** An ancestor: the unit plus its depth (root = 0). */
export class AncestorDto extends HierarchyUnitDto {
  @ApiProperty({
    type: 'integer',
    format: 'int32',
    minimum: 0,
    maximum: INT32_MAX,
    description: 'Distance from the root (the root is 0).',
    example: 0,
  })
  depth!: number;
}

/** A descendant: the unit plus its depth below the given unit (1 = child) and the path to it. */
export class DescendantDto extends HierarchyUnitDto {
  @ApiProperty({
    type: 'integer',
    format: 'int32',
    minimum: 1,
    maximum: INT32_MAX,
    description: 'Levels below the given unit (1 = child).',
    example: 1,
  })
  depth!: number;

  @ApiProperty({
    type: 'array',
    items: { type: 'string', format: 'uuid' },
    maxItems: MAX_DESCENDANT_DEPTH,
    description: 'Ids from the given unit down to this unit’s parent.',
    example: [EX.parent],
  })
  path!: string[];
}
