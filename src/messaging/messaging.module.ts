import { Module } from '@nestjs/common';
import { OutboxModule } from '#src/messaging/outbox/outbox.module.js';
import { WebhooksModule } from '#src/messaging/webhooks/webhooks.module.js';

/** The messaging context: the transactional outbox (global) and webhook delivery. */
@Module({ imports: [OutboxModule, WebhooksModule] })
export class MessagingModule {}
