import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Authorize } from '../common/auth/authorize.decorator.js';
import { CurrentPrincipal, type Principal } from '../common/auth/principal.js';
import { Scope } from '../common/auth/scopes.js';
import { SiteRole } from '../common/auth/site-roles.js';
import { ApiProblem } from '../common/errors/api-problem.decorator.js';
import { EntityTagged, RequestPreconditions } from '../common/concurrency/conditional.js';
import type { Preconditions } from '../common/concurrency/entity-tag.js';
import { Idempotent } from '../common/idempotency/idempotency.interceptor.js';
import { ExpensiveRead } from '../common/load/expensive-read.js';
import { ScimGroupDto, ScimGroupListDto, ScimListQueryDto, ScimProjectionQueryDto } from './dto/scim.dto.js';
import { scimBaseUrl } from './scim-http.js';
import { projectionOf as projection } from './scim-projection.js';
import { ScimGroupsService } from './scim-groups.service.js';
import { SCIM_READ } from './scim.controller.js';

/** Power User and above create, replace, patch and delete Groups (contract section 13.1). */
const SCIM_GROUP_WRITE = { scope: Scope.Scim, minRole: SiteRole.PowerUser } as const;
const ID = { name: 'id', description: 'A unit id, dashed or 32 hex digits.', schema: { type: 'string' as const, maxLength: 100 } };
const GROUP_BODY = {
  schema: { type: 'object' as const, description: 'A SCIM Group (RFC 7643 section 4.2; contract section 13.3).' },
  examples: {
    group: {
      value: {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        displayName: 'Engineering',
        externalId: 'okta-00g1',
        members: [{ value: '5f0c7a8e-2b1d-4c3e-9f8a-7b6c5d4e3f2a' }],
      },
    },
  },
};

/** SCIM Groups = the active org units of the token's project (contract sections 13.3, 13.4, 13.5). */
@ApiTags('SCIM 2.0')
@Controller('scim/v2/Groups')
export class ScimGroupsController {
  constructor(private readonly groups: ScimGroupsService) {}

  @Get()
  @ExpensiveRead()
  @Authorize(SCIM_READ)
  @ApiOperation({
    summary: 'List Groups',
    description: "The active units of the token's project; filter, sortBy/sortOrder, startIndex/count or cursor/count (RFC 9865).",
  })
  @ApiOkResponse({ type: ScimGroupListDto })
  @ApiProblem(
    400,
    'Bad filter (invalidFilter), sortBy, sortOrder or paging parameter (invalidValue, invalidCursor, expiredCursor, invalidCount).',
  )
  list(@Req() request: FastifyRequest, @CurrentPrincipal() principal: Principal, @Query() query: ScimListQueryDto) {
    return this.groups.list(principal.projectId, { ...query, ...projection(query) }, scimBaseUrl(request));
  }

  @Get(':id')
  @Authorize(SCIM_READ)
  @EntityTagged()
  @ApiOperation({ summary: 'View a Group', description: "An active unit of the token's project; any other id is a 404." })
  @ApiParam(ID)
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

  @Post()
  @HttpCode(201)
  @Authorize(SCIM_GROUP_WRITE)
  @EntityTagged()
  @Idempotent()
  @ApiOperation({ summary: 'Create a Group', description: "A unit of the token's project (under parentId, else a root) and its members." })
  @ApiBody(GROUP_BODY)
  @ApiCreatedResponse({
    type: ScimGroupDto,
    headers: { Location: { description: 'The absolute URL of the new Group.', schema: { type: 'string', maxLength: 2048 } } },
  })
  @ApiProblem(400, 'Invalid or missing attribute, unknown member or parent (invalidValue, invalidSyntax).')
  @ApiProblem(409, "A Group with this displayName (case-insensitively) or code exists in the token's project (uniqueness).")
  async create(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @CurrentPrincipal() principal: Principal,
    @Body() body: unknown,
    @Query() query: ScimProjectionQueryDto,
  ) {
    const group = await this.groups.create(principal.projectId, body, scimBaseUrl(request), projection(query));
    reply.header('Location', `${scimBaseUrl(request)}/Groups/${group.id}`);
    return group;
  }

  @Put(':id')
  @Authorize(SCIM_GROUP_WRITE)
  @EntityTagged()
  @ApiOperation({
    summary: 'Replace a Group',
    description: 'members absent: unchanged; present: exactly those. An absent extension is kept.',
  })
  @ApiParam(ID)
  @ApiBody(GROUP_BODY)
  @ApiOkResponse({ type: ScimGroupDto })
  @ApiProblem(400, 'Invalid or missing attribute, unknown member or parent (invalidValue, invalidSyntax, mutability).')
  @ApiProblem(404, 'No such Group for this token.')
  @ApiProblem(409, 'The displayName or code is taken (uniqueness).')
  replace(
    @Req() request: FastifyRequest,
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() body: unknown,
    @Query() query: ScimProjectionQueryDto,
    @RequestPreconditions() preconditions: Preconditions,
  ) {
    return this.groups.replace(principal.projectId, id, body, scimBaseUrl(request), projection(query), preconditions);
  }

  @Patch(':id')
  @HttpCode(204)
  @Authorize(SCIM_GROUP_WRITE)
  @ApiOperation({
    summary: 'Patch a Group',
    description: 'RFC 7644 PatchOp with the Entra and Okta forms (contract section 13.5); answers 204 with the new ETag.',
  })
  @ApiParam(ID)
  @ApiBody({ schema: { type: 'object', description: 'A PatchOp message.' } })
  @ApiNoContentResponse({
    description: 'Applied.',
    headers: { ETag: { description: "The Group's new entity tag.", schema: { type: 'string', maxLength: 100 } } },
  })
  @ApiProblem(400, 'Bad operation (invalidSyntax), path (invalidPath) or value (invalidValue, mutability).')
  @ApiProblem(404, 'No such Group for this token.')
  @ApiProblem(409, 'The displayName or code is taken (uniqueness).')
  async patch(
    @Res({ passthrough: true }) reply: FastifyReply,
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() body: unknown,
    @RequestPreconditions() preconditions: Preconditions,
  ): Promise<void> {
    reply.header('ETag', await this.groups.patch(principal.projectId, id, body, preconditions));
  }

  @Delete(':id')
  @HttpCode(204)
  @Authorize(SCIM_GROUP_WRITE)
  @ApiOperation({
    summary: 'Delete a Group',
    description: 'Historicizes the unit: its children and assignments are hidden, nothing is deleted.',
  })
  @ApiParam(ID)
  @ApiNoContentResponse({ description: 'Historicized; the Group is a 404 afterwards.' })
  @ApiProblem(400, 'A malformed If-Match header.')
  @ApiProblem(404, 'No such Group for this token.')
  remove(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @RequestPreconditions() preconditions: Preconditions,
  ): Promise<void> {
    return this.groups.remove(principal.projectId, id, preconditions);
  }
}
