import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Authorize } from '../common/auth/authorize.decorator.js';
import { Scope } from '../common/auth/scopes.js';
import { SiteRole } from '../common/auth/site-roles.js';
import { ApiProblem } from '../common/errors/api-problem.decorator.js';
import { EntityTagged, RequestPreconditions } from '../common/concurrency/conditional.js';
import type { Preconditions } from '../common/concurrency/entity-tag.js';
import { Idempotent } from '../common/idempotency/idempotency.interceptor.js';
import { ExpensiveRead } from '../common/load/expensive-read.js';
import { ScimListQueryDto, ScimProjectionQueryDto, ScimUserDto, ScimUserListDto } from './dto/scim.dto.js';
import { scimBaseUrl } from './scim-http.js';
import { projectionOf as projection } from './scim-projection.js';
import { ScimUsersService } from './scim-users.service.js';
import { SCIM_READ } from './scim.controller.js';

const SCIM_WRITE = { scope: Scope.Scim, minRole: SiteRole.PowerUser } as const;
const SCIM_DELETE = { scope: Scope.Scim, minRole: SiteRole.Administrator } as const;
const ID = {
  name: 'id',
  description: 'A person id, dashed or 32 hex digits; anything else is a 404.',
  schema: { type: 'string' as const, maxLength: 100 },
};
const USER_BODY = {
  schema: { type: 'object' as const, description: 'A SCIM User (RFC 7643 section 4.1; contract section 13.2).' },
  examples: {
    user: {
      value: {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: 'ada.lovelace@example.com',
        name: { givenName: 'Ada', familyName: 'Lovelace' },
        active: true,
      },
    },
  },
};

/** SCIM Users = people (contract sections 13.2, 13.4, 13.5). */
@ApiTags('SCIM 2.0')
@Controller('scim/v2/Users')
export class ScimUsersController {
  constructor(private readonly users: ScimUsersService) {}

  @Get()
  @ExpensiveRead()
  @Authorize(SCIM_READ)
  @ApiOperation({ summary: 'List Users', description: 'Every person, active or not; filter, sortBy/sortOrder, startIndex/count.' })
  @ApiOkResponse({ type: ScimUserListDto })
  @ApiProblem(400, 'Bad filter (invalidFilter), sortBy, sortOrder or paging parameter (invalidValue).')
  list(@Req() request: FastifyRequest, @Query() query: ScimListQueryDto) {
    return this.users.list({ ...query, ...projection(query) }, scimBaseUrl(request));
  }

  @Get(':id')
  @Authorize(SCIM_READ)
  @EntityTagged()
  @ApiOperation({ summary: 'View a User', description: 'Inactive people too (active: false).' })
  @ApiParam(ID)
  @ApiOkResponse({ type: ScimUserDto })
  @ApiProblem(400, 'Bad attributes or excludedAttributes.')
  @ApiProblem(404, 'No such User.')
  get(@Req() request: FastifyRequest, @Param('id') id: string, @Query() query: ScimProjectionQueryDto) {
    return this.users.get(id, scimBaseUrl(request), projection(query));
  }

  @Post()
  @HttpCode(201)
  @Authorize(SCIM_WRITE)
  @EntityTagged()
  @Idempotent()
  @ApiOperation({ summary: 'Create a User', description: 'A person; active false creates them already historicized.' })
  @ApiBody(USER_BODY)
  @ApiCreatedResponse({
    type: ScimUserDto,
    headers: { Location: { description: 'The absolute URL of the new User.', schema: { type: 'string', maxLength: 2048 } } },
  })
  @ApiProblem(400, 'Invalid or missing attribute (invalidValue, invalidSyntax).')
  @ApiProblem(409, 'A person with this userName (case-insensitively) exists (uniqueness).')
  async create(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Body() body: unknown,
    @Query() query: ScimProjectionQueryDto,
  ) {
    const user = await this.users.create(body, scimBaseUrl(request), projection(query));
    reply.header('Location', `${scimBaseUrl(request)}/Users/${user.id}`);
    return user;
  }

  @Put(':id')
  @Authorize(SCIM_WRITE)
  @EntityTagged()
  @ApiOperation({ summary: 'Replace a User', description: 'Omitted optional core attributes are cleared; an absent extension is kept.' })
  @ApiParam(ID)
  @ApiBody(USER_BODY)
  @ApiOkResponse({ type: ScimUserDto })
  @ApiProblem(400, 'Invalid or missing attribute (invalidValue, invalidSyntax, mutability).')
  @ApiProblem(404, 'No such User.')
  @ApiProblem(409, 'The userName is taken (uniqueness).')
  replace(
    @Req() request: FastifyRequest,
    @Param('id') id: string,
    @Body() body: unknown,
    @Query() query: ScimProjectionQueryDto,
    @RequestPreconditions() preconditions: Preconditions,
  ) {
    return this.users.replace(id, body, scimBaseUrl(request), projection(query), preconditions);
  }

  @Patch(':id')
  @Authorize(SCIM_WRITE)
  @EntityTagged()
  @ApiOperation({ summary: 'Patch a User', description: 'RFC 7644 PatchOp, with the Entra and Okta forms (contract section 13.5).' })
  @ApiParam(ID)
  @ApiBody({ schema: { type: 'object', description: 'A PatchOp message.' } })
  @ApiOkResponse({ type: ScimUserDto })
  @ApiProblem(400, 'Bad operation (invalidSyntax), path (invalidPath) or value (invalidValue).')
  @ApiProblem(404, 'No such User.')
  @ApiProblem(409, 'The userName is taken (uniqueness).')
  patch(
    @Req() request: FastifyRequest,
    @Param('id') id: string,
    @Body() body: unknown,
    @Query() query: ScimProjectionQueryDto,
    @RequestPreconditions() preconditions: Preconditions,
  ) {
    return this.users.patch(id, body, scimBaseUrl(request), projection(query), preconditions);
  }

  @Delete(':id')
  @HttpCode(204)
  @Authorize(SCIM_DELETE)
  @ApiOperation({ summary: 'Delete a User', description: 'The forced delete: the person and their assignments (Administrator).' })
  @ApiParam(ID)
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiProblem(400, 'A malformed If-Match header.')
  @ApiProblem(404, 'No such User.')
  remove(@Param('id') id: string, @RequestPreconditions() preconditions: Preconditions): Promise<void> {
    return this.users.remove(id, preconditions);
  }
}
