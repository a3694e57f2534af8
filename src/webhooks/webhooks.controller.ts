import { Body, Controller, Delete, Get, Header, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Idempotent } from '../common/idempotency/idempotency.interceptor.js';
import { Authorize } from '../common/auth/authorize.decorator.js';
import { CurrentPrincipal, type Principal } from '../common/auth/principal.js';
import { Scope } from '../common/auth/scopes.js';
import { SiteRole } from '../common/auth/site-roles.js';
import { ApiProblem } from '../common/errors/api-problem.decorator.js';
import { Created } from '../common/http/created.decorator.js';
import { edgePipe } from '../common/validation/edge-pipe.js';
import { parseEntityId, UUID_DOC } from '../common/validation/validation.js';
import { CreatedWebhookDto, CreateWebhookDto, WebhookDeliveryListDto, WebhookDto, WebhookListDto } from './dto/webhook.dto.js';
import { WebhooksService } from './webhooks.service.js';

/** Managing webhooks: Administrator and above (contract 10.3). */
const MANAGE = { scope: Scope.Api, minRole: SiteRole.Administrator } as const;
const WebhookIdPipe = edgePipe(parseEntityId);
const ID_PARAM = ApiParam({
  name: 'id',
  description: 'Webhook id (dashed or 32 hex digits).',
  schema: { type: 'string', maxLength: UUID_DOC.maxLength, pattern: UUID_DOC.pattern },
});

@ApiTags('Webhooks')
@Controller('api/v2/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @Authorize(MANAGE)
  @Idempotent()
  @Created((hook: CreatedWebhookDto) => `/api/v2/webhooks/${hook.id}`)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Create a webhook',
    description:
      'Events of the change log matching `events` are POSTed to `url` in the Standard Webhooks format, signed with the secret, ' +
      'which is in this answer only. The host must resolve to public addresses only (unless WEBHOOK_ALLOW_PRIVATE_TARGETS).',
  })
  @ApiCreatedResponse({
    type: CreatedWebhookDto,
    headers: { Location: { description: 'URL of the new webhook.', schema: { type: 'string', maxLength: 2048 } } },
  })
  @ApiProblem(
    400,
    'Invalid field: url not http(s), not resolvable or pointing at a loopback, private or link-local address; bad events pattern.',
  )
  create(@Body() dto: CreateWebhookDto, @CurrentPrincipal() actor: Principal): Promise<CreatedWebhookDto> {
    return this.webhooks.create(dto, actor);
  }

  @Get()
  @Authorize(MANAGE)
  @ApiOperation({ summary: 'List webhooks (never their secrets)', description: 'Oldest first.' })
  @ApiOkResponse({ type: WebhookListDto })
  list(): Promise<WebhookListDto> {
    return this.webhooks.list();
  }

  @Get(':id')
  @Authorize(MANAGE)
  @ApiOperation({ summary: 'View a webhook (never its secret)', description: 'Its URL, event patterns, description and creation time.' })
  @ApiOkResponse({ type: WebhookDto })
  @ApiProblem(400, 'Malformed id.')
  @ApiProblem(404, 'No such webhook.')
  @ID_PARAM
  get(@Param('id', WebhookIdPipe) id: string): Promise<WebhookDto> {
    return this.webhooks.get(id);
  }

  @Delete(':id')
  @Authorize(MANAGE)
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a webhook', description: 'Its pending deliveries are dropped.' })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiProblem(400, 'Malformed id.')
  @ApiProblem(404, 'No such webhook.')
  @ID_PARAM
  remove(@Param('id', WebhookIdPipe) id: string): Promise<void> {
    return this.webhooks.remove(id);
  }

  @Get(':id/deliveries')
  @Authorize(MANAGE)
  @ApiOperation({ summary: 'Recent delivery attempts of a webhook', description: 'The latest 100 attempts, newest first.' })
  @ApiOkResponse({ type: WebhookDeliveryListDto })
  @ApiProblem(400, 'Malformed id.')
  @ApiProblem(404, 'No such webhook.')
  @ID_PARAM
  deliveries(@Param('id', WebhookIdPipe) id: string): Promise<WebhookDeliveryListDto> {
    return this.webhooks.deliveriesOf(id);
  }
}
