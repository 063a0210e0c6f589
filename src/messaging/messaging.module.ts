import { Module } from '@nestjs/common';
import { MailModule } from '#src/messaging/mail/mail.module.js';
import { OutboxModule } from '#src/messaging/outbox/outbox.module.js';
import { WebhooksModule } from '#src/messaging/webhooks/webhooks.module.js';

/** The messaging context: the transactional outbox (global), webhook delivery and e-mail. */
@Module({ imports: [OutboxModule, WebhooksModule, MailModule] })
export class MessagingModule {}
