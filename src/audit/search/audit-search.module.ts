import { Module } from '@nestjs/common';
import { AuditSearchController } from '#src/audit/search/audit-search.controller.js';
import { AuditSearchRepository } from '#src/audit/search/audit-search.repository.js';
import { AuditSearchService } from '#src/audit/search/audit-search.service.js';

/** The auditor's read side of audit_events; the writer stays in the global AuditModule. */
@Module({
  controllers: [AuditSearchController],
  providers: [AuditSearchRepository, AuditSearchService],
})
export class AuditSearchModule {}
