/**
 * The public entry of messaging: what other contexts and the composition root use.
 * Inside it, files import each other directly, never through this entry. Written by
 * eslint/context-entries.js; checked by boundaries/context-imports.
 */
export { MailIntakeTarget } from '#src/messaging/mail/mail-intake-target.js';
export type { IntakeMail } from '#src/messaging/mail/mail-intake-target.js';
export { MailOutbox } from '#src/messaging/mail/mail-outbox.js';
export { MessagingConfig, messagingConfigProblems } from '#src/messaging/messaging.config.js';
export { MessagingModule } from '#src/messaging/messaging.module.js';
export { OutboxService } from '#src/messaging/outbox/outbox.service.js';
