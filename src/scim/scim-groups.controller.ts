import { Controller, Get, Param, Query, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Authorize } from '../common/auth/authorize.decorator.js';
import { CurrentPrincipal, type Principal } from '../common/auth/principal.js';
import { ApiProblem } from '../common/errors/api-problem.decorator.js';
import { EntityTagged } from '../common/concurrency/conditional.js';
import { ExpensiveRead } from '../common/load/expensive-read.js';
import { ScimGroupDto, ScimGroupListDto, ScimListQueryDto, ScimProjectionQueryDto } from './dto/scim.dto.js';
import { scimBaseUrl } from './scim-http.js';
import { projectionOf as projection } from './scim-projection.js';
import { ScimGroupsService } from './scim-groups.service.js';
import { SCIM_READ } from './scim.controller.js';

/** SCIM Groups = the active org units of the token's project (contract section 13.3): reads. */
@ApiTags('SCIM 2.0')
@Controller('scim/v2/Groups')
export class ScimGroupsController {
  constructor(private readonly groups: ScimGroupsService) {}

  @Get()
  @ExpensiveRead()
  @Authorize(SCIM_READ)
  @ApiOperation({
    summary: 'List Groups',
    description: "The active units of the token's project; filter, sortBy/sortOrder, startIndex/count.",
  })
  @ApiOkResponse({ type: ScimGroupListDto })
  @ApiProblem(400, 'Bad filter (invalidFilter), sortBy, sortOrder or paging parameter (invalidValue).')
  list(@Req() request: FastifyRequest, @CurrentPrincipal() principal: Principal, @Query() query: ScimListQueryDto) {
    return this.groups.list(principal.projectId, { ...query, ...projection(query) }, scimBaseUrl(request));
  }

  @Get(':id')
  @Authorize(SCIM_READ)
  @EntityTagged()
  @ApiOperation({ summary: 'View a Group', description: "An active unit of the token's project; any other id is a 404." })
  @ApiParam({ name: 'id', description: 'A unit id, dashed or 32 hex digits.', schema: { type: 'string', maxLength: 100 } })
  @ApiOkResponse({ type: ScimGroupDto })
  @ApiProblem(400, 'Bad attributes or excludedAttributes.')
  @ApiProblem(404, 'No such Group for this token.')
  get(
    @Req() request: FastifyRequest,
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Query() query: ScimProjectionQueryDto,
  ) {
    return this.groups.get(principal.projectId, id, scimBaseUrl(request), projection(query));
  }
}
