import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Keyset } from '#src/platform/pagination/index.js';
import type { AttachmentMeta } from '#src/messaging/mail/mail-content.js';

export type InboxStatus = 'accepted' | 'quarantined' | 'released' | 'rejected';
export const INBOX_STATUSES: InboxStatus[] = ['accepted', 'quarantined', 'released', 'rejected'];

/** A row of `mail_inbox` without the raw message (listed and shown). */
export interface InboxRow {
  id: string;
  messageId: string | null;
  fromAddress: string;
  headerFrom: string | null;
  toAddresses: string[];
  subject: string;
  sizeBytes: number;
  rawSha256: string;
  receivedAt: Date;
  /** The keyset of the list: the time it was received. */
  createdAt: Date;
  status: InboxStatus;
  reason: string | null;
  organizationId: string | null;
  userId: string | null;
  incidentId: string | null;
  reviewedBy: string | null;
  reviewedAt: Date | null;
  attachments: AttachmentMeta[];
}

export interface InboxDetailRow extends InboxRow {
  body: string;
}

export interface NewInboxRow {
  messageId: string | null;
  fromAddress: string;
  headerFrom: string | null;
  toAddresses: string[];
  subject: string;
  body: string;
  raw: Buffer;
  rawSha256: string;
  receivedAt: Date;
  status: 'accepted' | 'quarantined';
  reason: string | null;
  organizationId: string | null;
  userId: string | null;
  attachments: AttachmentMeta[];
}

const COLUMNS = `
  i.id, i.message_id AS "messageId", i.from_address AS "fromAddress",
  i.header_from AS "headerFrom", i.to_addresses AS "toAddresses", i.subject,
  i.size_bytes AS "sizeBytes", i.raw_sha256 AS "rawSha256", i.received_at AS "receivedAt",
  i.received_at AS "createdAt", i.status, i.reason, i.organization_id AS "organizationId",
  i.user_id AS "userId", i.incident_id AS "incidentId", i.reviewed_by AS "reviewedBy",
  i.reviewed_at AS "reviewedAt", i.attachments`;

/** The incident mailbox's received mails (`mail_inbox`): plain SQL, no entity. */
@Injectable()
export class MailInboxRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Mails from `fromAddress` received since `since`: the per-sender limit, shared by every
   * instance (the index on (from_address, received_at) answers it).
   */
  async countFromSince(fromAddress: string, since: Date): Promise<number> {
    const rows = await this.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM mail_inbox WHERE from_address = $1 AND received_at > $2`,
      [fromAddress, since],
    );
    return rows[0].n;
  }

  /**
   * Files a mail; null when the same Message-ID from the same sender is already filed (a resend:
   * nothing is written).
   */
  async insert(manager: EntityManager, row: NewInboxRow): Promise<string | null> {
    const rows = await manager.query<{ id: string }[]>(
      `INSERT INTO mail_inbox
         (message_id, from_address, header_from, to_addresses, subject, body, size_bytes, raw,
          raw_sha256, received_at, status, reason, organization_id, user_id, attachments)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
       ON CONFLICT (message_id, from_address) WHERE message_id IS NOT NULL DO NOTHING
       RETURNING id`,
      [
        row.messageId,
        row.fromAddress,
        row.headerFrom,
        row.toAddresses,
        row.subject,
        row.body,
        row.raw.length,
        row.raw,
        row.rawSha256,
        row.receivedAt,
        row.status,
        row.reason,
        row.organizationId,
        row.userId,
        JSON.stringify(row.attachments),
      ],
    );
    return rows[0]?.id ?? null;
  }

  async setIncident(manager: EntityManager, id: string, incidentId: string): Promise<void> {
    await manager.query(`UPDATE mail_inbox SET incident_id = $2 WHERE id = $1`, [id, incidentId]);
  }

  async list(
    status: InboxStatus | undefined,
    after: Keyset | undefined,
    limit: number,
  ): Promise<InboxRow[]> {
    const params: unknown[] = [status ?? null];
    let where = `($1::text IS NULL OR i.status = $1)`;
    if (after) {
      params.push(after.createdAt, after.id);
      where += ` AND (date_trunc('milliseconds', i.received_at), i.id) < ($2, $3)`;
    }
    params.push(limit + 1);
    return this.dataSource.query(
      `SELECT ${COLUMNS} FROM mail_inbox i WHERE ${where}
        ORDER BY date_trunc('milliseconds', i.received_at) DESC, i.id DESC
        LIMIT $${params.length}`,
      params,
    );
  }

  async find(id: string, manager?: EntityManager): Promise<InboxDetailRow | null> {
    const rows = await (manager ?? this.dataSource).query<InboxDetailRow[]>(
      `SELECT ${COLUMNS}, i.body FROM mail_inbox i WHERE i.id = $1`,
      [id],
    );
    return rows[0] ?? null;
  }

  /** The row locked for a review (FOR UPDATE: two reviews of one mail run one after the other). */
  async lockForReview(
    manager: EntityManager,
    id: string,
  ): Promise<(InboxDetailRow & { raw: Buffer }) | null> {
    const rows = await manager.query<(InboxDetailRow & { raw: Buffer })[]>(
      `SELECT ${COLUMNS}, i.body, i.raw FROM mail_inbox i WHERE i.id = $1 FOR UPDATE`,
      [id],
    );
    return rows[0] ?? null;
  }

  /** Records a responder's decision on a locked row. */
  async review(
    manager: EntityManager,
    id: string,
    change: {
      status: 'released' | 'rejected';
      reviewedBy: string;
      reviewedAt: Date;
      organizationId?: string;
      reason?: string;
    },
  ): Promise<void> {
    await manager.query(
      `UPDATE mail_inbox
          SET status = $2, reviewed_by = $3, reviewed_at = $4,
              organization_id = coalesce($5, organization_id),
              reason = left(concat_ws(' | ', reason, $6::text), 1000)
        WHERE id = $1`,
      [
        id,
        change.status,
        change.reviewedBy,
        change.reviewedAt,
        change.organizationId ?? null,
        change.reason ?? null,
      ],
    );
  }
}
