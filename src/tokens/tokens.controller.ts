import { Body, Controller, Delete, Get, Header, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiParam, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Created } from '../common/http/created.decorator.js';
import { ExpensiveRead } from '../common/load/expensive-read.js';
import { Authorize } from '../common/auth/authorize.decorator.js';
import { CurrentPrincipal, type Principal } from '../common/auth/principal.js';
import { Scope } from '../common/auth/scopes.js';
import { SiteRole } from '../common/auth/site-roles.js';
import { ApiProblem } from '../common/errors/api-problem.decorator.js';
import { ListShape, Paginated } from '../common/pagination/pagination.interceptor.js';
import {
  CreatedTokenDto,
  CreateTokenDto,
  RevokeTokenQueryDto,
  TokenDto,
  TokenIdPipe,
  TokenListDto,
  TokenListQueryDto,
} from './dto/token.dto.js';
import { TokensService } from './tokens.service.js';
import { UUID_DOC } from '../common/validation/validation.js';

const MANAGE = { scope: Scope.Api, minRole: SiteRole.Administrator } as const;
const ID_PARAM = ApiParam({
  name: 'id',
  description: 'Token id (dashed or 32 hex digits).',
  schema: { type: 'string', maxLength: UUID_DOC.maxLength, pattern: UUID_DOC.pattern },
});

@ApiTags('Tokens')
@Controller('api/v2/tokens')
export class TokensController {
  constructor(private readonly tokens: TokensService) {}

  @Post()
  @Authorize(MANAGE)
  @Created((token: CreatedTokenDto) => `/api/v2/tokens/${token.id}`)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Create an API token',
    description: 'The secret is in this response only. Administrators may create tokens up to Administrator.',
  })
  @ApiCreatedResponse({
    type: CreatedTokenDto,
    headers: { Location: { description: 'URL of the new token.', schema: { type: 'string', maxLength: 2048 } } },
  })
  @ApiProblem(400, 'Invalid field.')
  create(@Body() dto: CreateTokenDto, @CurrentPrincipal() actor: Principal): Promise<CreatedTokenDto> {
    return this.tokens.createFromRequest(dto, actor);
  }

  @Get()
  @ExpensiveRead()
  @Authorize(MANAGE)
  @ApiOperation({
    summary: 'List API tokens (never their secrets)',
    description:
      'Newest first, paged with page and per-page; `Link: rel="next"` carries a keyset cursor. Only tokens up to the caller\'s role: an Administrator never sees Opsera Administrator tokens.',
  })
  @Paginated(ListShape.Envelope, TokenListDto, 'Tokens, newest first.')
  @ApiProblem(400, 'Bad paging parameter.')
  list(@Query() query: TokenListQueryDto, @CurrentPrincipal() actor: Principal) {
    return this.tokens.list(query, actor);
  }

  @Get(':id')
  @Authorize(MANAGE)
  @ApiOperation({
    summary: 'View an API token (never its secret)',
    description: 'Name, role, scopes, expiry, last use, revocation and creator of one token.',
  })
  @ApiOkResponse({ type: TokenDto })
  @ApiProblem(400, 'Malformed id.')
  @ApiProblem(404, "No such token, or one above the caller's role (an Opsera Administrator token for an Administrator).")
  @ID_PARAM
  get(@Param('id', TokenIdPipe) id: string, @CurrentPrincipal() actor: Principal): Promise<TokenDto> {
    return this.tokens.get(id, actor);
  }

  @Delete(':id')
  @Authorize(MANAGE)
  @HttpCode(204)
  @ApiOperation({
    summary: 'Revoke an API token',
    description:
      'Takes effect on the next request. Idempotent. With cascade=true, every token this one created, transitively, is revoked too ' +
      '(one transaction).',
  })
  @ApiNoContentResponse({ description: 'Revoked.' })
  @ApiProblem(400, 'Malformed id or cascade.')
  @ApiProblem(404, "No such token, or one above the caller's role (an Opsera Administrator token for an Administrator).")
  @ID_PARAM
  async revoke(
    @Param('id', TokenIdPipe) id: string,
    @Query() query: RevokeTokenQueryDto,
    @CurrentPrincipal() actor: Principal,
  ): Promise<void> {
    await this.tokens.revoke(id, actor, { cascade: query.cascade });
  }
}
