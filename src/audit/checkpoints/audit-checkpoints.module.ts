import { Module } from '@nestjs/common';
import { AuditCheckpointsController } from '#src/audit/checkpoints/audit-checkpoints.controller.js';
import { AuditCheckpointsService } from '#src/audit/checkpoints/audit-checkpoints.service.js';
import { CheckpointHeader } from '#src/audit/checkpoints/checkpoint-header.js';

/**
 * The public side of the signed checkpoints: the `X-Audit-Checkpoint` header of feed responses,
 * the audit public keys, the stored checkpoints. Making them is CheckpointsService's (global
 * AuditModule).
 */
@Module({
  controllers: [AuditCheckpointsController],
  providers: [AuditCheckpointsService, CheckpointHeader],
  exports: [CheckpointHeader],
})
export class AuditCheckpointsModule {}
