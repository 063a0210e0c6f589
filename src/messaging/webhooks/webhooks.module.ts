import { Module } from '@nestjs/common';
import { WebhookSecrets } from '#src/messaging/webhooks/webhook-secrets.js';
import { WebhookResolver, WebhookUrlGuard } from '#src/messaging/webhooks/webhook-url-guard.js';
import { WebhookWorker } from '#src/messaging/webhooks/webhook-worker.js';
import { WebhooksController } from '#src/messaging/webhooks/webhooks.controller.js';
import { WebhooksRepository } from '#src/messaging/webhooks/webhooks.repository.js';
import { WebhooksService } from '#src/messaging/webhooks/webhooks.service.js';

/** Webhook subscriptions, the outbox dispatcher and the deliverer (decision 0009). */
@Module({
  controllers: [WebhooksController],
  providers: [
    WebhooksRepository,
    WebhooksService,
    WebhookResolver,
    WebhookUrlGuard,
    WebhookSecrets,
    WebhookWorker,
  ],
  exports: [WebhookWorker],
})
export class WebhooksModule {}
