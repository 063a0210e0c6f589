import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditLog } from '#src/platform/audit-log/index.js';
import { Clock } from '#src/platform/clock/index.js';
import { PeriodicRun } from '#src/platform/jobs/index.js';
import { OutboxService } from '#src/messaging/index.js';
import { ResponseConfig } from '#src/response/response.config.js';
import {
  IncidentsRepository,
  type ClaimedIncident,
} from '#src/response/incidents/incidents.repository.js';
import { IncidentsService } from '#src/response/incidents/incidents.service.js';

/** Incidents handled per kind and run, at most (the rest wait for the next run). */
const BATCH = 200;
const MINUTE_MS = 60_000;

export interface IncidentDeadlineRun {
  reminded: number;
  overdue: number;
  failed: number;
}

/**
 * Reminders before an incident report's due time and one overdue notice after it. The SLA is
 * measured to resolution: a report is due resolved by `due_at`, so only reports neither
 * resolved nor closed are reminded or declared overdue. Each run, at the clock's now:
 *
 * - a report due within INCIDENT_REMINDER_BEFORE_MINUTES (and not yet past due) gets one
 *   `incident.reminder`: a mail to its assignee, else to every responder, and the outbox
 *   message to the Department; a reminder missed while the service was down is not sent late;
 * - a report past due gets one `incident.overdue`: the same, and the reporting organization's
 *   webhooks are told.
 *
 * Each report is handled in a transaction of its own (its mark, event row, audit event,
 * outbox message and mail), claimed with FOR UPDATE SKIP LOCKED: once across runs, restarts
 * and instances; a failure on one report is logged and the others go on (it is retried next
 * run). At most BATCH reports of each kind per run.
 */
@Injectable()
export class IncidentsScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(IncidentsScheduler.name);
  private readonly periodic = new PeriodicRun('Incident deadline run', this.log);

  constructor(
    private readonly dataSource: DataSource,
    private readonly incidents: IncidentsRepository,
    private readonly service: IncidentsService,
    private readonly audit: AuditLog,
    private readonly outbox: OutboxService,
    private readonly clock: Clock,
    private readonly config: ResponseConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.periodic.start(this.config.RESPONSE_SCHEDULER_INTERVAL_S * 1000, () => this.runOnce());
  }

  onApplicationShutdown(): Promise<void> {
    return this.periodic.stop();
  }

  /** Sends what is due at the clock's now; returns how many of each it sent. */
  async runOnce(): Promise<IncidentDeadlineRun> {
    const now = this.clock.now();
    const before = this.config.INCIDENT_REMINDER_BEFORE_MINUTES;
    const reminders =
      before === 0
        ? { done: 0, failed: 0 }
        : await this.each(
            (manager, excluded) => this.incidents.claimReminder(manager, now, before, excluded),
            (manager, incident) => this.notify(manager, incident, now, 'reminder'),
          );
    const overdue = await this.each(
      (manager, excluded) => this.incidents.claimOverdue(manager, now, excluded),
      (manager, incident) => this.notify(manager, incident, now, 'overdue'),
    );
    return {
      reminded: reminders.done,
      overdue: overdue.done,
      failed: reminders.failed + overdue.failed,
    };
  }

  /** Claims and handles one report per transaction, until none is left or BATCH were tried. */
  private async each(
    claim: (manager: EntityManager, excluded: string[]) => Promise<ClaimedIncident | null>,
    handle: (manager: EntityManager, incident: ClaimedIncident) => Promise<void>,
  ): Promise<{ done: number; failed: number }> {
    const failedIds: string[] = [];
    let done = 0;
    for (let i = 0; i < BATCH; i++) {
      let claimedId: string | undefined;
      try {
        const found = await this.dataSource.transaction(async (manager) => {
          const incident = await claim(manager, failedIds);
          if (!incident) return false;
          claimedId = incident.id;
          await handle(manager, incident);
          return true;
        });
        if (!found) break;
        done += 1;
      } catch (error) {
        if (claimedId === undefined) throw error;
        failedIds.push(claimedId);
        this.log.warn(`Incident ${claimedId}: notice failed: ${String(error)}`);
      }
    }
    return { done, failed: failedIds.length };
  }

  private async notify(
    manager: EntityManager,
    incident: ClaimedIncident,
    now: Date,
    kind: 'reminder' | 'overdue',
  ): Promise<void> {
    const minutesLeft = Math.floor((incident.dueAt.getTime() - now.getTime()) / MINUTE_MS);
    const payload = {
      incidentId: incident.id,
      reference: incident.reference,
      reporterOrganizationId: incident.reporterOrganizationId,
      severity: incident.severity,
      status: incident.status,
      dueAt: incident.dueAt.toISOString(),
      ...(kind === 'reminder' ? { minutesLeft } : {}),
    };
    await this.incidents.addEvent(manager, incident.id, {
      kind,
      actorType: 'system',
      actorId: null,
      organizationId: null,
      body: null,
      at: now,
    });
    await this.audit.record(manager, {
      actor: 'system',
      ...(kind === 'reminder' ? { action: 'incident.remind' } : { action: 'incident.escalate' }),
      objectType: 'incident',
      objectId: incident.id,
      summary: { ...payload, at: now.toISOString() },
    });
    const departments = await this.incidents.departmentIds(manager, 50);
    await this.outbox.enqueue(manager, {
      topic: kind === 'reminder' ? 'incident.reminder' : 'incident.overdue',
      aggregateId: incident.id,
      payload,
      recipients:
        kind === 'overdue' ? [...departments, incident.reporterOrganizationId] : departments,
    });
    const row = await this.incidents.findById(incident.id, manager);
    if (row) await this.service.mailTo(manager, row, 'responders', kind);
  }
}
