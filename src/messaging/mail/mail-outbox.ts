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
  /** Addresses (duplicates and blanks dropped; at most 1,000, in mails of at most 50 each). */
  recipients: readonly string[];
  /** One line (≤ 300 characters; longer is cut). */
  subject: string;
  /** Plain text (≤ 100,000 characters; longer is cut). */
  body: string;
}

/** Recipients of one mail (the table's check), and of one notice in all. */
const MAX_RECIPIENTS_PER_MAIL = 50;
const MAX_RECIPIENTS = 1000;
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

  /**
   * Queues a notice: one mail per 50 recipients (every recipient gets it; nobody sees more than
   * 49 others). Returns the mails' ids, none when there was nobody to send it to.
   */
  async enqueue(manager: EntityManager, mail: OutgoingMail): Promise<string[]> {
    const recipients = [
      ...new Set(mail.recipients.map((r) => r.trim().toLowerCase()).filter((r) => r !== '')),
    ].slice(0, MAX_RECIPIENTS);
    const subject = mail.subject.replace(/[\r\n]+/g, ' ').slice(0, MAX_SUBJECT) || mail.topic;
    const body = mail.body.slice(0, MAX_BODY);
    const ids: string[] = [];
    for (let i = 0; i < recipients.length; i += MAX_RECIPIENTS_PER_MAIL) {
      ids.push(
        await this.insert(
          manager,
          mail,
          recipients.slice(i, i + MAX_RECIPIENTS_PER_MAIL),
          subject,
          body,
        ),
      );
    }
    return ids;
  }

  private async insert(
    manager: EntityManager,
    mail: OutgoingMail,
    recipients: string[],
    subject: string,
    body: string,
  ): Promise<string> {
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
