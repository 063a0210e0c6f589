import { Module } from '@nestjs/common';
import { AuditCheckpointsController } from '#src/audit/checkpoints/audit-checkpoints.controller.js';
import { CheckpointReader } from '#src/audit/checkpoints/checkpoint-reader.js';
import { CheckpointHeader } from '#src/audit/checkpoints/checkpoint-header.js';

/**
 * The public side of the signed checkpoints: the `X-Audit-Checkpoint` header of feed responses,
 * the audit public keys, the stored checkpoints. Making them is CheckpointSigner's (global
 * AuditModule).
 */
@Module({
  controllers: [AuditCheckpointsController],
  providers: [CheckpointReader, CheckpointHeader],
  exports: [CheckpointHeader],
})
export class AuditCheckpointsModule {}
