import { applyDecorators, Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBody, ApiExtraModels, ApiOkResponse, ApiOperation, ApiParam, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { Authorize } from '../common/auth/authorize.decorator.js';
import { ApiProblem } from '../common/errors/api-problem.decorator.js';
import { ExpensiveRead } from '../common/load/expensive-read.js';
import type { Page } from '../common/pagination/page.js';
import { ListShape, Paginated } from '../common/pagination/pagination.interceptor.js';
import { UUID_DOC } from '../common/validation/validation.js';
import { EntityId, ORG_READ } from '../org-chart/org-routes.js';
import { EmptyArrayMeansNoFields } from '../org-chart/php-empty-array.js';
import { AncestorDto, AncestorsQueryDto, DescendantDto, DescendantsRequestDto, MAX_DESCENDANT_DEPTH } from './dto/org-hierarchy.dto.js';
import { OrgHierarchyService } from './org-hierarchy.service.js';

const HISTORY = 'Units hidden by section 2 (inactive, or below an inactive unit) are left out unless history is true.';

function AncestorsRoute() {
  return applyDecorators(
    Get(['ancestors/:id', 'ancestors']),
    Authorize(ORG_READ),
    ExpensiveRead(),
    ApiOperation({
      summary: "List an org unit's ancestors",
      description: `The unit's ancestors from the root down to its parent (empty for a root), each with its depth (root = 0). ${HISTORY} Path form /ancestors/{id} or query form /ancestors?id=.`,
    }),
    ApiParam({
      schema: { type: 'string', maxLength: UUID_DOC.maxLength, pattern: UUID_DOC.pattern },
      name: 'id',
      required: false,
      description: 'Dashed or 32 hex digits; or use ?id= instead.',
      example: '123e4567-e89b-12d3-a456-426655440000',
    }),
    ApiExtraModels(AncestorDto),
    ApiOkResponse({
      description: 'The ancestors, root first (bare array).',
      schema: { type: 'array', maxItems: MAX_DESCENDANT_DEPTH, items: { $ref: getSchemaPath(AncestorDto) } },
    }),
    ApiProblem(400, 'Malformed id or parameter (named in errors[]).'),
    ApiProblem(404, 'No such org unit.'),
  );
}

function DescendantsRoute() {
  return applyDecorators(
    Post('descendants'),
    HttpCode(200),
    Authorize(ORG_READ),
    EmptyArrayMeansNoFields(),
    ExpensiveRead(),
    ApiOperation({
      summary: "List an org unit's descendants",
      description:
        'The subtree below the unit (not the unit itself), depth first, siblings by name then id; each row with depth (1 = child) ' +
        `and path (the ids from the given unit down to the row's parent). ${HISTORY} Filters narrow the rows, never the walk.`,
    }),
    ApiBody({
      type: DescendantsRequestDto,
      examples: {
        subtree: { value: { org_unit_id: '123e4567-e89b-12d3-a456-426655440000', with_counts: true, 'per-page': 100, page: 1 } },
        children: { value: { org_unit_id: '123e4567-e89b-12d3-a456-426655440000', depth: 1 } },
      },
    }),
    Paginated(ListShape.Array, [DescendantDto], 'Descendants (bare array) with the X-Pagination-* headers.'),
    ApiProblem(400, 'Missing or malformed org_unit_id, unknown filter key, wrongly typed value or bad paging (named in errors[]).'),
    ApiProblem(404, 'No such org unit.'),
  );
}

/** Hierarchy reads of the 4HSE org unit tree (contract section 11). */
@ApiTags('OrgUnit (4HSE)')
@Controller('v2/org-unit')
export class OrgHierarchyController {
  constructor(private readonly hierarchy: OrgHierarchyService) {}

  @AncestorsRoute()
  ancestors(@EntityId() id: string, @Query() query: AncestorsQueryDto): Promise<AncestorDto[]> {
    return this.hierarchy.ancestors(id, query);
  }

  @DescendantsRoute()
  descendants(@Body() body: DescendantsRequestDto): Promise<Page<DescendantDto>> {
    return this.hierarchy.descendants(body);
  }
}
