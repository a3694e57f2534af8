import { applyDecorators, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Authorize } from '../common/auth/authorize.decorator.js';
import { Scope } from '../common/auth/scopes.js';
import { SiteRole } from '../common/auth/site-roles.js';
import { ApiProblem } from '../common/errors/api-problem.decorator.js';
import { ScimNotImplementedError } from './scim.errors.js';
import { resourceTypeNamed, resourceTypes, schemaNamed, schemas, serviceProviderConfig } from './scim-discovery.js';
import { scimBaseUrl } from './scim-http.js';
import { requestPath } from '../common/http/request-path.js';
import {
  ScimResourceTypeDto,
  ScimResourceTypeListDto,
  ScimSchemaDto,
  ScimSchemaListDto,
  ScimServiceProviderConfigDto,
} from './dto/scim.dto.js';

export const SCIM_READ = { scope: Scope.Scim, minRole: SiteRole.Viewer } as const;

/** SCIM 2.0 discovery (contract section 13.8) and the endpoints the service does not offer (501). */
@ApiTags('SCIM 2.0')
@Controller('scim/v2')
@Authorize(SCIM_READ)
@ApiProblem(400, 'The request carried a body that is not valid JSON (scimType invalidSyntax).')
export class ScimDiscoveryController {
  @Get('ServiceProviderConfig')
  @ApiOperation({
    summary: 'SCIM service provider configuration',
    description: 'Patch, filter, sort, ETags and index and cursor paging (RFC 9865) supported; bulk and password changes not.',
  })
  @ApiOkResponse({ type: ScimServiceProviderConfigDto })
  serviceProviderConfig(@Req() request: FastifyRequest) {
    return serviceProviderConfig(scimBaseUrl(request));
  }

  @Get('ResourceTypes')
  @ApiOperation({
    summary: 'SCIM resource types',
    description: "User (people) and Group (org units of the token's project), with their schema extensions.",
  })
  @ApiOkResponse({ type: ScimResourceTypeListDto })
  resourceTypes(@Req() request: FastifyRequest) {
    return resourceTypes(scimBaseUrl(request));
  }

  @Get('ResourceTypes/:name')
  @ApiOperation({ summary: 'One SCIM resource type', description: 'User or Group; any other name is a 404.' })
  @ApiParam({ name: 'name', schema: { type: 'string', enum: ['User', 'Group'] } })
  @ApiOkResponse({ type: ScimResourceTypeDto })
  @ApiProblem(404, 'No such resource type.')
  resourceType(@Req() request: FastifyRequest, @Param('name') name: string) {
    return resourceTypeNamed(scimBaseUrl(request), name);
  }

  @Get('Schemas')
  @ApiOperation({ summary: 'SCIM schemas', description: 'The five schemas, listing exactly the attributes the service stores.' })
  @ApiOkResponse({ type: ScimSchemaListDto })
  schemas(@Req() request: FastifyRequest) {
    return schemas(scimBaseUrl(request));
  }

  @Get('Schemas/:urn')
  @ApiOperation({ summary: 'One SCIM schema', description: 'By its URN; an unknown URN is a 404.' })
  @ApiParam({ name: 'urn', schema: { type: 'string', maxLength: 200 }, example: 'urn:ietf:params:scim:schemas:core:2.0:User' })
  @ApiOkResponse({ type: ScimSchemaDto })
  @ApiProblem(404, 'No such schema.')
  schema(@Req() request: FastifyRequest, @Param('urn') urn: string) {
    return schemaNamed(scimBaseUrl(request), urn);
  }

  // RFC 7644's optional endpoints the service does not offer: 501 (other methods on /Bulk and /.search: 405).
  @Post(['Bulk', '.search', 'Users/.search', 'Groups/.search'])
  @NotOffered('POST /Bulk and POST /.search (at the root, under /Users and under /Groups)')
  bulkOrSearch(@Req() request: FastifyRequest): never {
    throw new ScimNotImplementedError(requestPath(request));
  }

  @Get('Me')
  @NotOffered('/Me')
  getMe(@Req() request: FastifyRequest): never {
    throw new ScimNotImplementedError(requestPath(request));
  }

  @Post('Me')
  @NotOffered('/Me')
  postMe(@Req() request: FastifyRequest): never {
    throw new ScimNotImplementedError(requestPath(request));
  }

  @Put('Me')
  @NotOffered('/Me')
  putMe(@Req() request: FastifyRequest): never {
    throw new ScimNotImplementedError(requestPath(request));
  }

  @Patch('Me')
  @NotOffered('/Me')
  patchMe(@Req() request: FastifyRequest): never {
    throw new ScimNotImplementedError(requestPath(request));
  }

  @Delete('Me')
  @NotOffered('/Me')
  deleteMe(@Req() request: FastifyRequest): never {
    throw new ScimNotImplementedError(requestPath(request));
  }
}

/** Docs of an endpoint that always answers 501. */
function NotOffered(what: string) {
  return applyDecorators(
    HttpCode(501),
    ApiOperation({ summary: `Not offered: ${what}`, description: 'Always 501 (see ServiceProviderConfig).' }),
    ApiProblem(501, 'Not implemented.'),
  );
}
