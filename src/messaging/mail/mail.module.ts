import { Global, Module } from '@nestjs/common';
import { MailOutbox } from '#src/messaging/mail/mail-outbox.js';

/** E-mail: the mail outbox (global, written by the contexts that notify), sending and intake. */
@Global()
@Module({ providers: [MailOutbox], exports: [MailOutbox] })
export class MailModule {}
