import { Global, Module } from '@nestjs/common';
import { OutboxService } from '#src/messaging/outbox/outbox.service.js';

/** The transactional outbox: written by the contexts that publish events, in their transactions. */
@Global()
@Module({ providers: [OutboxService], exports: [OutboxService] })
export class OutboxModule {}
