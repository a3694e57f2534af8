import { randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { Principal } from '../common/auth/principal.js';
import { EntityNotFoundError, InvalidInputError } from '../common/errors/domain-errors.js';
import type { CreatedWebhookDto, CreateWebhookDto, WebhookDeliveryListDto, WebhookDto, WebhookListDto } from './dto/webhook.dto.js';
import { checkedAddresses, TargetRefusedError } from './webhook-target.js';
import { WebhooksRepository } from './webhooks.repository.js';
import { WebhookDeliveries } from './webhook-deliveries.service.js';

/** At most this many webhooks: each event is one job per matching webhook. */
export const MAX_WEBHOOKS = 100;

/** Webhook management (contract 10.3): Administrator and above. */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly webhooks: WebhooksRepository,
    private readonly deliveries: WebhookDeliveries,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(dto: CreateWebhookDto, actor: Principal): Promise<CreatedWebhookDto> {
    const url = await this.checkUrl(dto.url);
    if ((await this.webhooks.count()) >= MAX_WEBHOOKS) {
      throw InvalidInputError.field('url', `at most ${MAX_WEBHOOKS} webhooks may exist; delete one first`);
    }
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const created = await this.webhooks.insert({
      id: randomUUID(),
      url,
      events: dto.events ?? ['*'],
      description: dto.description ?? null,
      secret,
      createdBy: actor.tokenId,
    });
    this.deliveries.wake();
    return { ...created, secret };
  }

  async list(): Promise<WebhookListDto> {
    return { data: await this.webhooks.list() };
  }

  async get(id: string): Promise<WebhookDto> {
    const found = await this.webhooks.find(id);
    if (!found) throw new EntityNotFoundError(`No webhook ${id}.`);
    return found;
  }

  async remove(id: string): Promise<void> {
    if (!(await this.webhooks.remove(id))) throw new EntityNotFoundError(`No webhook ${id}.`);
  }

  async deliveriesOf(id: string): Promise<WebhookDeliveryListDto> {
    await this.get(id);
    return { data: await this.webhooks.deliveries(id) };
  }

  /** http or https, with a host whose every address is public (unless private targets are allowed). */
  private async checkUrl(raw: string): Promise<string> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw InvalidInputError.field('url', 'must be an absolute http or https URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw InvalidInputError.field('url', 'must be an http or https URL');
    if (url.hostname === '') throw InvalidInputError.field('url', 'must name a host');
    try {
      await checkedAddresses(url.hostname, this.config.webhooks.allowPrivateTargets);
    } catch (error) {
      if (error instanceof TargetRefusedError) throw InvalidInputError.field('url', error.message);
      throw error;
    }
    return url.toString();
  }
}
