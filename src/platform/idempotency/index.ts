/**
 * The public entry of platform/idempotency: what other contexts and the composition root use.
 * Inside it, files import each other directly, never through this entry. Written by
 * eslint/context-entries.js; checked by boundaries/context-imports.
 */
export {
  IdempotencyHooks,
  IdempotencyModule,
} from '#src/platform/idempotency/idempotency.module.js';
