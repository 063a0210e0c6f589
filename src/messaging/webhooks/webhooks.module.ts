import { Module } from '@nestjs/common';
import { WebhookSecrets } from '#src/webhooks/webhook-secrets.js';
import { WebhookResolver, WebhookUrlGuard } from '#src/webhooks/webhook-url-guard.js';
import { WebhookWorker } from '#src/webhooks/webhook-worker.js';
import { WebhooksController } from '#src/webhooks/webhooks.controller.js';
import { WebhooksRepository } from '#src/webhooks/webhooks.repository.js';
import { WebhooksService } from '#src/webhooks/webhooks.service.js';

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
