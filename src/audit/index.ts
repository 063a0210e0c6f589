/**
 * The public entry of audit: what other contexts and the composition root use.
 * Inside it, files import each other directly, never through this entry. Written by
 * eslint/context-entries.js; checked by boundaries/context-imports.
 */
export { AuditConfig } from '#src/audit/audit.config.js';
export { AuditModule } from '#src/audit/audit.module.js';
export {
  CheckpointHeader,
  documentAuditCheckpoint,
} from '#src/audit/checkpoints/checkpoint-header.js';
export { CheckpointSigner } from '#src/audit/trail/checkpoint-signer.js';
