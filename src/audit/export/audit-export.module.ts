import { Module } from '@nestjs/common';
import { AuditExportController } from '#src/audit/export/audit-export.controller.js';
import { AuditExportRepository } from '#src/audit/export/audit-export.repository.js';
import { AuditExportService } from '#src/audit/export/audit-export.service.js';

/** Verifiable exports of the audit trail; the keys, checkpoints and writer come from AuditTrailModule. */
@Module({
  controllers: [AuditExportController],
  providers: [AuditExportRepository, AuditExportService],
})
export class AuditExportModule {}
