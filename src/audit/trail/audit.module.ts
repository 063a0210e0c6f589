import { Global, Module } from '@nestjs/common';
import { AuditKeysService } from '#src/audit/trail/audit-keys.service.js';
import { AuditSealer } from '#src/audit/trail/audit-sealer.js';
import { AuditService } from '#src/audit/trail/audit.service.js';
import { CheckpointSigner } from '#src/audit/trail/checkpoint-signer.js';
import { AuditLog } from '#src/platform/audit-log/index.js';

/**
 * The audit trail's writer (also as its port, `AuditLog`), its sealer, keys and checkpoints:
 * used everywhere.
 */
@Global()
@Module({
  providers: [
    AuditService,
    { provide: AuditLog, useExisting: AuditService },
    AuditSealer,
    AuditKeysService,
    CheckpointSigner,
  ],
  exports: [AuditService, AuditLog, AuditSealer, AuditKeysService, CheckpointSigner],
})
export class AuditModule {}
