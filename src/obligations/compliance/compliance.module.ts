import { Module } from '@nestjs/common';
import { AuthModule } from '#src/auth/auth.module.js';
import {
  ComplianceController,
  ComplianceCsvController,
  CompliancePdfController,
} from '#src/compliance/compliance.controller.js';
import { CompliancePdfRepository } from '#src/compliance/compliance-pdf.repository.js';
import { CompliancePdfService } from '#src/compliance/compliance-pdf.service.js';
import { ComplianceRepository } from '#src/compliance/compliance.repository.js';
import { ComplianceService } from '#src/compliance/compliance.service.js';
import { DeadlineScheduler } from '#src/compliance/deadline.scheduler.js';
import { DeadlinesRepository } from '#src/compliance/deadlines.repository.js';
import { FeedModule } from '#src/feed/feed.module.js';

/** Deadlines (reminders, escalation) and the compliance report (JSON, CSV, PDF) over assignments. */
@Module({
  imports: [AuthModule, FeedModule],
  controllers: [ComplianceController, CompliancePdfController, ComplianceCsvController],
  providers: [
    ComplianceRepository,
    ComplianceService,
    CompliancePdfRepository,
    CompliancePdfService,
    DeadlinesRepository,
    DeadlineScheduler,
  ],
  exports: [DeadlineScheduler],
})
export class ComplianceModule {}
