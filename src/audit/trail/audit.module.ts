import { Global, Module } from '@nestjs/common';
import { AuditKeysService } from '#src/audit/trail/audit-keys.service.js';
import { AuditSealer } from '#src/audit/trail/audit-sealer.js';
import { AuditService, OutboxService } from '#src/audit/trail/audit.service.js';
import { CheckpointsService } from '#src/audit/trail/checkpoints.service.js';

/** The audit trail's writer, its sealer, keys and checkpoints, and the outbox: used everywhere. */
@Global()
@Module({
  providers: [AuditService, AuditSealer, OutboxService, AuditKeysService, CheckpointsService],
  exports: [AuditService, AuditSealer, OutboxService, AuditKeysService, CheckpointsService],
})
export class AuditModule {}
