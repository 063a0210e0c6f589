import { Global, Module } from '@nestjs/common';
import { MailController } from '#src/messaging/mail/mail.controller.js';
import { MailInboxRepository } from '#src/messaging/mail/mail-inbox.repository.js';
import { MailIntake } from '#src/messaging/mail/mail-intake.js';
import { MailOutbox } from '#src/messaging/mail/mail-outbox.js';
import { MailOutboxRepository } from '#src/messaging/mail/mail-outbox.repository.js';
import { MailReviewService } from '#src/messaging/mail/mail-review.service.js';
import { MailSender } from '#src/messaging/mail/mail-sender.js';

/**
 * E-mail: the mail outbox (global, written by the contexts that notify), its sender (SMTP),
 * the incident mailbox's intake (SMTP server) and the API that reviews both.
 */
@Global()
@Module({
  controllers: [MailController],
  providers: [
    MailOutbox,
    MailOutboxRepository,
    MailInboxRepository,
    MailSender,
    MailIntake,
    MailReviewService,
  ],
  exports: [MailOutbox, MailSender, MailIntake],
})
export class MailModule {}
