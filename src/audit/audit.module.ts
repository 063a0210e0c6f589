import { Module } from '@nestjs/common';
import { AuditCheckpointsModule } from '#src/audit/checkpoints/audit-checkpoints.module.js';
import { AuditExportModule } from '#src/audit/export/audit-export.module.js';
import { AuditSearchModule } from '#src/audit/search/audit-search.module.js';
import { AuditTrailModule } from '#src/audit/trail/audit-trail.module.js';
import { AuditVerifyModule } from '#src/audit/verification/audit-verify.module.js';

/**
 * The audit context: the hash-chained trail every context writes through the `AuditLog` port
 * (global), its signed checkpoints, search, online verification and exports.
 */
@Module({
  imports: [
    AuditTrailModule,
    AuditSearchModule,
    AuditVerifyModule,
    AuditCheckpointsModule,
    AuditExportModule,
  ],
})
export class AuditModule {}
