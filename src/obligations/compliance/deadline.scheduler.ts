import { PeriodicRun } from '#src/platform/jobs/index.js';
import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditLog } from '#src/platform/audit-log/index.js';
import { OutboxService } from '#src/messaging/index.js';
import { Clock } from '#src/platform/clock/index.js';
import {
  AssignmentsRepository,
  type ClaimedAssignment,
} from '#src/obligations/assignments/assignments.repository.js';
import { ObligationsConfig } from '#src/obligations/obligations.config.js';

const BATCH = 500;
const MINUTE_MS = 60_000;

export interface DeadlineRun {
  reminded: number;
  escalated: number;
}

/**
 * Reminders before an assignment's deadline and escalation after it
 * (docs/decisions/0010-deadlines-and-compliance.md). Each run, at the clock's now:
 *
 * - open assignments whose deadline is within ASSIGNMENT_REMINDER_BEFORE_MINUTES and not yet
 *   passed get one `assignment.reminder` (to the ISP); a reminder missed while the service was
 *   down is not sent late;
 * - open assignments ASSIGNMENT_ESCALATION_AFTER_MINUTES past their deadline get one
 *   `assignment.overdue` (to the ISP and the issuing Department organization).
 *
 * The mark (reminded_at, escalated_at), the audit event and the outbox message commit in one
 * transaction, and the mark is claimed with FOR UPDATE SKIP LOCKED: idempotent across runs and
 * restarts, and each event is written once with any number of instances.
 */
@Injectable()
export class DeadlineScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(DeadlineScheduler.name);
  private readonly periodic = new PeriodicRun('Deadline run', this.log);

  constructor(
    private readonly dataSource: DataSource,
    private readonly assignments: AssignmentsRepository,
    private readonly audit: AuditLog,
    private readonly outbox: OutboxService,
    private readonly clock: Clock,
    private readonly config: ObligationsConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.periodic.start(this.config.ASSIGNMENT_SCHEDULER_INTERVAL_S * 1000, () => this.runOnce());
  }

  onApplicationShutdown(): Promise<void> {
    return this.periodic.stop();
  }

  /** Sends what is due at the clock's now, in batches; returns how many of each it sent. */
  async runOnce(): Promise<DeadlineRun> {
    const now = this.clock.now();
    const reminded = await this.drain((manager) =>
      this.remind(manager, now, this.config.ASSIGNMENT_REMINDER_BEFORE_MINUTES),
    );
    const escalated = await this.drain((manager) =>
      this.escalate(manager, now, this.config.ASSIGNMENT_ESCALATION_AFTER_MINUTES),
    );
    return { reminded, escalated };
  }

  /** Runs `batch` in its own transaction until a batch comes back short. */
  private async drain(batch: (manager: EntityManager) => Promise<number>): Promise<number> {
    let total = 0;
    for (;;) {
      const done = await this.dataSource.transaction(batch);
      total += done;
      if (done < BATCH) return total;
    }
  }

  private async remind(manager: EntityManager, now: Date, before: number): Promise<number> {
    if (before === 0) return 0;
    const claimed = await this.assignments.claimReminders(manager, now, before, BATCH);
    for (const a of claimed) {
      const minutesLeft = Math.floor((a.deadline_at.getTime() - now.getTime()) / MINUTE_MS);
      await this.record(manager, a, now, {
        action: 'assignment.remind',
        topic: 'assignment.reminder',
        recipients: [a.organization_id],
        extra: { minutesLeft },
      });
    }
    return claimed.length;
  }

  private async escalate(manager: EntityManager, now: Date, after: number): Promise<number> {
    const claimed = await this.assignments.claimEscalations(manager, now, after, BATCH);
    for (const a of claimed) {
      await this.record(manager, a, now, {
        action: 'assignment.escalate',
        topic: 'assignment.overdue',
        recipients: [a.organization_id, a.issued_by],
        extra: {},
      });
    }
    return claimed.length;
  }

  private async record(
    manager: EntityManager,
    a: ClaimedAssignment,
    now: Date,
    event: {
      action: string;
      topic: 'assignment.reminder' | 'assignment.overdue';
      recipients: string[];
      extra: Record<string, unknown>;
    },
  ): Promise<void> {
    const payload = {
      assignmentId: a.id,
      requestId: a.request_id,
      documentNumber: a.document_number,
      organizationId: a.organization_id,
      deadlineAt: a.deadline_at.toISOString(),
      ...event.extra,
    };
    await this.audit.record(manager, {
      actor: 'system',
      action: event.action,
      objectType: 'assignment',
      objectId: a.id,
      summary: { ...payload, at: now.toISOString() },
    });
    await this.outbox.enqueue(manager, {
      topic: event.topic,
      aggregateId: a.id,
      payload,
      recipients: event.recipients,
    });
  }
}
