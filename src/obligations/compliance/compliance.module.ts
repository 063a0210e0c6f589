import { Module } from '@nestjs/common';
import { AuthModule } from '#src/identity/index.js';
import { AssignmentsModule } from '#src/obligations/assignments/assignments.module.js';
import {
  ComplianceController,
  ComplianceCsvController,
  CompliancePdfController,
} from '#src/obligations/compliance/compliance.controller.js';
import { CompliancePdfRepository } from '#src/obligations/compliance/compliance-pdf.repository.js';
import { CompliancePdfService } from '#src/obligations/compliance/compliance-pdf.service.js';
import { ComplianceRepository } from '#src/obligations/compliance/compliance.repository.js';
import { ComplianceService } from '#src/obligations/compliance/compliance.service.js';
import { DeadlineScheduler } from '#src/obligations/compliance/deadline.scheduler.js';
import { FeedModule } from '#src/feeds/index.js';

/** Deadlines (reminders, escalation) and the compliance report (JSON, CSV, PDF) over assignments. */
@Module({
  // AssignmentsModule: AssignmentsRepository, whose claims the DeadlineScheduler makes.
  imports: [AuthModule, AssignmentsModule, FeedModule],
  controllers: [ComplianceController, CompliancePdfController, ComplianceCsvController],
  providers: [
    ComplianceRepository,
    ComplianceService,
    CompliancePdfRepository,
    CompliancePdfService,
    DeadlineScheduler,
  ],
  exports: [DeadlineScheduler],
})
export class ComplianceModule {}
