/**
 * The public entry of messaging: what other contexts and the composition root use.
 * Inside it, files import each other directly, never through this entry. Written by
 * eslint/context-entries.js; checked by boundaries/context-imports.
 */
export { MessagingConfig, messagingConfigProblems } from '#src/messaging/messaging.config.js';
export { OutboxModule } from '#src/messaging/outbox/outbox.module.js';
export { OutboxService } from '#src/messaging/outbox/outbox.service.js';
export { WebhooksModule } from '#src/messaging/webhooks/webhooks.module.js';
