import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditLog } from '#src/platform/audit-log/index.js';
import { Clock } from '#src/platform/clock/index.js';

/** What a mail is about: its topic is an outbox event type or a mail-only notice. */
export interface OutgoingMail {
  /** E.g. `case.opened`, `incident.reminder`. */
  topic: string;
  /** The object it is about (a case, an incident…). */
  aggregateId: string | null;
  /** Addresses (1–50; duplicates and blanks dropped). */
  recipients: readonly string[];
  /** One line (≤ 300 characters; longer is cut). */
  subject: string;
  /** Plain text (≤ 100,000 characters; longer is cut). */
  body: string;
}

const MAX_RECIPIENTS = 50;
const MAX_SUBJECT = 300;
const MAX_BODY = 100_000;

/**
 * The mail outbox: notices and reminders by e-mail, written in the transaction of the change
 * they tell (so a rolled-back change sends nothing) and recorded in the audit trail there; the
 * mail sender (SMTP) delivers them after commit, with retries.
 */
@Injectable()
export class MailOutbox {
  constructor(
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  /** Queues one mail; returns its id, or null when there was nobody to send it to. */
  async enqueue(manager: EntityManager, mail: OutgoingMail): Promise<string | null> {
    const recipients = [
      ...new Set(mail.recipients.map((r) => r.trim().toLowerCase()).filter((r) => r !== '')),
    ].slice(0, MAX_RECIPIENTS);
    if (recipients.length === 0) return null;
    const subject = mail.subject.replace(/[\r\n]+/g, ' ').slice(0, MAX_SUBJECT) || mail.topic;
    const body = mail.body.slice(0, MAX_BODY);
    const now = this.clock.now();
    const rows = await manager.query<{ id: string }[]>(
      `INSERT INTO mail_outbox (topic, aggregate_id, recipients, subject, body, created_at, next_attempt_at)
       VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`,
      [mail.topic, mail.aggregateId, recipients, subject, body, now],
    );
    const id = rows[0].id;
    await this.audit.record(manager, {
      actor: 'system',
      action: 'mail.queue',
      objectType: 'mail',
      objectId: id,
      summary: { topic: mail.topic, aggregateId: mail.aggregateId, recipients, subject },
    });
    return id;
  }
}
