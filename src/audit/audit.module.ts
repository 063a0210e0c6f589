import { Global, Module } from '@nestjs/common';
import { AuditKeysService } from '#src/audit/audit-keys.service.js';
import { AuditService, OutboxService } from '#src/audit/audit.service.js';
import { CheckpointsService } from '#src/audit/checkpoints.service.js';

/** The audit trail's writer, its keys and checkpoints, and the outbox: used everywhere. */
@Global()
@Module({
  providers: [AuditService, OutboxService, AuditKeysService, CheckpointsService],
  exports: [AuditService, OutboxService, AuditKeysService, CheckpointsService],
})
export class AuditModule {}
