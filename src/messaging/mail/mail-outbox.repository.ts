import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { keysetOrderSql, keysetSql, type Keyset } from '#src/platform/pagination/index.js';

export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'failed';
export const OUTBOX_STATUSES: OutboxStatus[] = ['pending', 'sending', 'sent', 'failed'];

/**
 * A mail leased for sending: `leaseUntil` is also the token that proves the lease is ours;
 * `attempts` counts this one.
 */
export interface ClaimedMail {
  id: string;
  topic: string;
  aggregateId: string | null;
  recipients: string[];
  subject: string;
  body: string;
  attempts: number;
  leaseUntil: Date;
}

/** A row of the mail outbox as listed (no body). */
export interface OutboxRow {
  id: string;
  topic: string;
  aggregateId: string | null;
  recipients: string[];
  subject: string;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  messageId: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

/** The mail outbox's delivery side (`mail_outbox`; MailOutbox writes new rows). */
@Injectable()
export class MailOutboxRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Leases up to `limit` due mails: pending and due at `now`, or `sending` whose lease ran out
   * (a sender that died mid-round). FOR UPDATE SKIP LOCKED: instances claiming together take
   * different rows. The lease ends `leaseMs` after the database's now() (whole milliseconds:
   * it is compared again when the outcome is recorded). The attempt is counted here, so that a
   * mail whose sending kills the process still runs out of attempts.
   */
  async claimDue(now: Date, limit: number, leaseMs: number): Promise<ClaimedMail[]> {
    const [rows] = await this.dataSource.query<[ClaimedMail[], number]>(
      `WITH due AS (
         SELECT id FROM mail_outbox
          WHERE status IN ('pending', 'sending') AND next_attempt_at <= $1
            AND (status = 'pending' OR lease_until < now())
          ORDER BY next_attempt_at, id
          LIMIT $2
          FOR UPDATE SKIP LOCKED)
       UPDATE mail_outbox m
          SET status = 'sending', attempts = m.attempts + 1,
              lease_until = date_trunc('milliseconds', now() + make_interval(secs => $3::double precision / 1000))
         FROM due WHERE m.id = due.id
       RETURNING m.id, m.topic, m.aggregate_id AS "aggregateId", m.recipients, m.subject, m.body,
                 m.attempts, m.lease_until AS "leaseUntil"`,
      [now, limit, leaseMs],
    );
    return rows;
  }

  /**
   * Records the outcome of one attempt, if the lease is still ours (false otherwise: another
   * sender took the mail over, nothing is written).
   */
  async record(
    manager: EntityManager,
    mail: ClaimedMail,
    outcome:
      | { status: 'sent'; at: Date; messageId: string | null }
      | { status: 'pending'; nextAttemptAt: Date; error: string }
      | { status: 'failed'; error: string },
  ): Promise<boolean> {
    const rows: [unknown[], number] = await manager.query(
      `UPDATE mail_outbox
          SET status = $3, lease_until = NULL,
              sent_at = $4, message_id = $5, next_attempt_at = coalesce($6, next_attempt_at),
              last_error = $7
        WHERE id = $1 AND status = 'sending' AND lease_until = $2
        RETURNING id`,
      [
        mail.id,
        mail.leaseUntil,
        outcome.status,
        outcome.status === 'sent' ? outcome.at : null,
        outcome.status === 'sent' ? outcome.messageId : null,
        outcome.status === 'pending' ? outcome.nextAttemptAt : null,
        outcome.status === 'sent' ? null : outcome.error,
      ],
    );
    return rows[1] > 0;
  }

  async list(
    status: OutboxStatus | undefined,
    after: Keyset | undefined,
    limit: number,
  ): Promise<OutboxRow[]> {
    const params: unknown[] = [status ?? null];
    const where = `($1::text IS NULL OR m.status = $1) AND ${keysetSql('m', after, params)}`;
    params.push(limit + 1);
    return this.dataSource.query(
      `SELECT m.id, m.topic, m.aggregate_id AS "aggregateId", m.recipients, m.subject, m.status,
              m.attempts, m.next_attempt_at AS "nextAttemptAt", m.last_error AS "lastError",
              m.message_id AS "messageId", m.created_at AS "createdAt", m.sent_at AS "sentAt"
         FROM mail_outbox m WHERE ${where}
        ORDER BY ${keysetOrderSql('m')} LIMIT $${params.length}`,
      params,
    );
  }
}
