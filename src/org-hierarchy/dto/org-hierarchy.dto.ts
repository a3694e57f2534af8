import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsInt, IsObject, IsOptional, Max, Min, ValidateNested } from 'class-validator';
import { ToBoolean } from '../../common/validation/validation.js';
import { AsOfField } from '../../common/validation/as-of.js';
import { PageBodyBase, RequiredUuidField } from '../../org-chart/org-api.dto.js';
import { INT32_MAX, ORG_UNIT_EXAMPLE as EX, OrgUnitCountsQueryDto, OrgUnitDto, OrgUnitFilterDto } from '../../org-chart/org-unit.dto.js';

/** The deepest `depth` a descendants request may ask for (a bound on the request, not on the tree). */
export const MAX_DESCENDANT_DEPTH = 1000;

/** Query of GET /v2/org-unit/ancestors/{id} (and `?id=`): the view's query and `history`. */
export class AncestorsQueryDto extends OrgUnitCountsQueryDto {
  @ApiPropertyOptional({
    type: Boolean,
    example: false,
    description: 'If true, also lists inactive ancestors (and those below an inactive one).',
  })
  @IsOptional()
  @ToBoolean()
  @IsBoolean({ message: 'must be true, false, 1 or 0' })
  history?: boolean;
}

/** `filter` of POST /v2/org-unit/descendants: the org-unit index filters, applied to the subtree's rows. */
export type DescendantsFilterDto = OrgUnitFilterDto;

/** Body of POST /v2/org-unit/descendants. */
export class DescendantsRequestDto extends PageBodyBase {
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

  @ApiPropertyOptional({ type: OrgUnitFilterDto, example: { name: 'sales' } })
  @IsOptional()
  @IsObject({ message: 'must be an object' })
  @ValidateNested()
  @Type(() => OrgUnitFilterDto)
  filter?: OrgUnitFilterDto;

  @ApiPropertyOptional({ description: 'If true, includes historicized units and the subtrees below them.', example: false })
  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  history?: boolean;

  @ApiPropertyOptional({ description: 'If true, each unit carries head_count and total_head_count.', example: true })
  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  with_counts?: boolean;

  @AsOfField(true) as_of?: Date | null;
}

/** Head counts of a unit (contract section 11), present when they were asked for. */
export type HeadCounts = Required<Pick<OrgUnitDto, 'head_count' | 'total_head_count'>>;

/** An ancestor: the unit plus its depth (root = 0). */
export class AncestorDto extends OrgUnitDto {
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
export class DescendantDto extends OrgUnitDto {
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
