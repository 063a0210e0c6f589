import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditLog } from '#src/platform/audit-log/index.js';
import { Clock } from '#src/platform/clock/index.js';
import { actorType, PeopleDirectory, type Principal } from '#src/identity/index.js';
import { MailOutbox, OutboxService } from '#src/messaging/index.js';
import { caseNotice, type CaseNoticeKind } from '#src/response/cases/case-notices.js';
import {
  CasesRepository,
  type CaseRow,
  type CaseStatus,
} from '#src/response/cases/cases.repository.js';

/** C2s named in a notice; the rest are counted. */
const NOTICE_C2S = 20;

type Topic = 'case.opened' | 'case.reopened' | 'case.reminder' | 'case.overdue' | 'case.closed';

export interface CaseEvent {
  /** The audit action (`case.open`, `case.remediate`…). */
  action: string;
  /** A status change to append to the history (none for a reminder or an escalation). */
  change?: { from: CaseStatus | null; to: CaseStatus; reason: string | null };
  /** The webhook event to the unit, when there is one for it. */
  topic?: Topic;
  /** E-mails: to the unit's officers and/or to the Department's responders. */
  mail?: { unit?: CaseNoticeKind; responders?: CaseNoticeKind };
  /** Extra audit summary fields. */
  summary?: Record<string, unknown>;
}

/**
 * What goes with every event of a case, in the transaction of the change: the history row,
 * the audit event, the outbox message (webhooks of the unit) and the e-mails.
 */
@Injectable()
export class CaseEvents {
  constructor(
    private readonly cases: CasesRepository,
    private readonly audit: AuditLog,
    private readonly outbox: OutboxService,
    private readonly mail: MailOutbox,
    private readonly people: PeopleDirectory,
    private readonly clock: Clock,
  ) {}

  /** Records `event` about `caseId` (read again in the transaction, as the change left it). */
  async record(
    manager: EntityManager,
    caseId: string,
    actor: Principal | 'system',
    event: CaseEvent,
  ): Promise<void> {
    const now = this.clock.now();
    const c = await this.cases.find(caseId, manager);
    if (!c) throw new Error(`case ${caseId} vanished in its transaction`);
    if (event.change) {
      await this.cases.appendHistory(manager, caseId, {
        fromStatus: event.change.from,
        toStatus: event.change.to,
        actorType: actor === 'system' ? 'system' : actorType(actor),
        actorId: actor === 'system' ? null : actor.id,
        reason: event.change.reason,
        at: now,
      });
    }
    const payload = casePayload(c);
    await this.audit.record(manager, {
      actor,
      action: event.action,
      objectType: 'unit_case',
      objectId: caseId,
      summary: {
        unitId: c.unitId,
        ...(event.change ? { from: event.change.from, to: event.change.to } : {}),
        ...(event.change?.reason ? { reason: event.change.reason } : {}),
        deadlineAt: c.deadlineAt.toISOString(),
        ...event.summary,
      },
    });
    if (event.topic) {
      await this.outbox.enqueue(manager, {
        topic: event.topic,
        aggregateId: caseId,
        payload,
        recipients: [c.unitId],
      });
    }
    if (event.mail) {
      const c2s = await this.cases.c2s(manager, caseId, NOTICE_C2S + 1);
      const data = {
        caseId,
        unitName: c.unitName,
        c2s: c2s.slice(0, NOTICE_C2S),
        moreC2s: Math.max(0, c.c2s - NOTICE_C2S),
        addresses: c.addresses,
        firstSeen: c.firstSeen,
        lastSeen: c.lastSeen,
        deadlineAt: c.deadlineAt,
        remediationSummary: c.remediation?.summary,
        reason: event.change?.reason ?? undefined,
      };
      if (event.mail.unit) {
        const to = await this.people.emailsOf(c.unitId, ['unit_officer'], manager);
        await this.mail.enqueue(manager, {
          topic: event.topic ?? event.action,
          aggregateId: caseId,
          recipients: to,
          ...caseNotice(event.mail.unit, data),
        });
      }
      if (event.mail.responders) {
        const to = await this.people.emailsByRole('department', ['responder'], manager);
        await this.mail.enqueue(manager, {
          topic: event.topic ?? event.action,
          aggregateId: caseId,
          recipients: to,
          ...caseNotice(event.mail.responders, data),
        });
      }
    }
  }
}

/** What webhook subscribers of the unit receive about its case. */
export function casePayload(c: CaseRow): Record<string, unknown> {
  return {
    caseId: c.id,
    unitId: c.unitId,
    status: c.status,
    openedAt: c.openedAt.toISOString(),
    deadlineAt: c.deadlineAt.toISOString(),
    firstSeen: c.firstSeen.toISOString(),
    lastSeen: c.lastSeen.toISOString(),
    infectedAddresses: c.addresses,
    c2Count: c.c2s,
    reopenCount: c.reopenCount,
  };
}
