import { Module } from '@nestjs/common';
import { AuthModule } from '#src/auth/auth.module.js';
import {
  ComplianceController,
  ComplianceCsvController,
} from '#src/compliance/compliance.controller.js';
import { ComplianceRepository } from '#src/compliance/compliance.repository.js';
import { ComplianceService } from '#src/compliance/compliance.service.js';
import { DeadlineScheduler } from '#src/compliance/deadline.scheduler.js';
import { DeadlinesRepository } from '#src/compliance/deadlines.repository.js';
import { FeedModule } from '#src/feed/feed.module.js';

/** Deadlines (reminders, escalation) and the compliance report over assignments. */
@Module({
  imports: [AuthModule, FeedModule],
  controllers: [ComplianceController, ComplianceCsvController],
  providers: [ComplianceRepository, ComplianceService, DeadlinesRepository, DeadlineScheduler],
  exports: [DeadlineScheduler],
})
export class ComplianceModule {}
