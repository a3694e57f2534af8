import { Module } from '@nestjs/common';
import { ChangesModule } from '../changes/changes.module.js';
import { WebhookDeliveries } from './webhook-deliveries.service.js';
import { WebhooksController } from './webhooks.controller.js';
import { WebhooksRepository } from './webhooks.repository.js';
import { WebhooksService } from './webhooks.service.js';

/** Webhooks: management routes, the dispatcher following the change log, the delivery worker. */
@Module({
  imports: [ChangesModule],
  controllers: [WebhooksController],
  providers: [WebhooksService, WebhooksRepository, WebhookDeliveries],
  exports: [WebhookDeliveries],
})
export class WebhooksModule {}
