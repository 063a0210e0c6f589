import { Global, Module } from '@nestjs/common';
import { AuditKeysService } from '#src/audit/trail/audit-keys.service.js';
import { AuditSealer } from '#src/audit/trail/audit-sealer.js';
import { AuditService, OutboxService } from '#src/audit/trail/audit.service.js';
import { CheckpointSigner } from '#src/audit/trail/checkpoint-signer.js';

/** The audit trail's writer, its sealer, keys and checkpoints, and the outbox: used everywhere. */
@Global()
@Module({
  providers: [AuditService, AuditSealer, OutboxService, AuditKeysService, CheckpointSigner],
  exports: [AuditService, AuditSealer, OutboxService, AuditKeysService, CheckpointSigner],
})
export class AuditModule {}
