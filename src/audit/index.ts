/**
 * The public entry of audit: what other contexts and the composition root use.
 * Inside it, files import each other directly, never through this entry. Written by
 * eslint/context-entries.js; checked by boundaries/context-imports.
 */
export { AuditConfig } from '#src/audit/audit.config.js';
export { AuditCheckpointsModule } from '#src/audit/checkpoints/audit-checkpoints.module.js';
export {
  CheckpointHeader,
  documentAuditCheckpoint,
} from '#src/audit/checkpoints/checkpoint-header.js';
export { AuditExportModule } from '#src/audit/export/audit-export.module.js';
export { AuditSearchModule } from '#src/audit/search/audit-search.module.js';
export { AuditModule } from '#src/audit/trail/audit.module.js';
export { CheckpointSigner } from '#src/audit/trail/checkpoint-signer.js';
export { AuditVerifyModule } from '#src/audit/verification/audit-verify.module.js';
