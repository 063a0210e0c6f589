import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type {
  ConfirmationStatus,
  ItemOutcome,
  Mechanism,
} from '#src/obligations/assignments/confirmation-values.js';

export interface ConfirmationRow {
  id: string;
  assignment_id: string;
  organization_id: string;
  status: ConfirmationStatus;
  reason: string | null;
  applied_at: Date | null;
  mechanism: Mechanism | null;
  evidence: string | null;
  evidence_sha256: string | null;
  receipt_id: string | null;
  actor_type: string;
  actor_id: string;
  created_at: Date;
}

export interface ConfirmationItemRow {
  confirmation_id: string;
  indicator_id: string;
  outcome: ItemOutcome;
  reason: string | null;
}

export interface NewConfirmation {
  assignmentId: string;
  organizationId: string;
  status: ConfirmationStatus;
  reason: string | null;
  appliedAt: Date | null;
  mechanism: Mechanism | null;
  evidence: string | null;
  evidenceSha256: string | null;
  receiptId: string | null;
  actorType: 'user' | 'api_client';
  actorId: string;
  /** When it was accepted (the application clock). */
  at: Date;
}

const CONFIRMATION_COLUMNS = `id, assignment_id, organization_id, status, reason, applied_at,
  mechanism, evidence, evidence_sha256, receipt_id, actor_type, actor_id, created_at`;

/** The confirmations table and each one's items (confirmation_items): appended, never updated. */
@Injectable()
export class ConfirmationsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Every confirmation of the assignment, oldest first. */
  forAssignment(assignmentId: string): Promise<ConfirmationRow[]> {
    return this.dataSource.query(
      `SELECT ${CONFIRMATION_COLUMNS} FROM confirmations WHERE assignment_id = $1
        ORDER BY created_at, id`,
      [assignmentId],
    );
  }

  async find(
    assignmentId: string,
    confirmationId: string,
    manager?: EntityManager,
  ): Promise<ConfirmationRow | null> {
    const rows = await (manager ?? this.dataSource.manager).query<ConfirmationRow[]>(
      `SELECT ${CONFIRMATION_COLUMNS} FROM confirmations WHERE assignment_id = $1 AND id = $2`,
      [assignmentId, confirmationId],
    );
    return rows[0] ?? null;
  }

  items(confirmationIds: string[], manager?: EntityManager): Promise<ConfirmationItemRow[]> {
    return (manager ?? this.dataSource.manager).query(
      `SELECT ci.confirmation_id, ci.indicator_id, ci.outcome, ci.reason
         FROM confirmation_items ci JOIN indicators n ON n.id = ci.indicator_id
        WHERE ci.confirmation_id = ANY($1::uuid[])
        ORDER BY n.value, ci.indicator_id`,
      [confirmationIds],
    );
  }

  async insert(manager: EntityManager, c: NewConfirmation): Promise<string> {
    // The application clock's time (like closed_at), taken under the assignment's lock and kept
    // strictly after the assignment's previous confirmation, so the history's order is the
    // order in which confirmations were accepted.
    const [row] = await manager.query<{ id: string }[]>(
      `INSERT INTO confirmations (assignment_id, organization_id, status, reason, applied_at,
                                  mechanism, evidence, evidence_sha256, receipt_id, actor_type,
                                  actor_id, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
               greatest($12::timestamptz, (SELECT max(created_at) + interval '1 microsecond'
                                             FROM confirmations WHERE assignment_id = $1)))
       RETURNING id`,
      [
        c.assignmentId,
        c.organizationId,
        c.status,
        c.reason,
        c.appliedAt,
        c.mechanism,
        c.evidence,
        c.evidenceSha256,
        c.receiptId,
        c.actorType,
        c.actorId,
        c.at,
      ],
    );
    return row.id;
  }

  async insertItems(
    manager: EntityManager,
    confirmationId: string,
    items: { indicatorId: string; outcome: ItemOutcome; reason: string | null }[],
  ): Promise<void> {
    if (items.length === 0) return;
    await manager.query(
      `INSERT INTO confirmation_items (confirmation_id, indicator_id, outcome, reason)
       SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::text[])`,
      [
        confirmationId,
        items.map((i) => i.indicatorId),
        items.map((i) => i.outcome),
        items.map((i) => i.reason),
      ],
    );
  }

  /**
   * A feed receipt's items: applied for what the ISP's feed carried at `version` (a block item
   * whose indicator's latest change up to `version` was an add, an unblock item whose was not),
   * not_applicable with the reason for the others (held back, or not in that version yet).
   */
  async insertItemsFromFeed(
    manager: EntityManager,
    confirmationId: string,
    feed: { requestId: string; organizationId: string; version: number },
  ): Promise<void> {
    await manager.query(
      `INSERT INTO confirmation_items (confirmation_id, indicator_id, outcome, reason)
       SELECT $1, i.indicator_id,
              CASE WHEN x.carried THEN 'applied' ELSE 'not_applicable' END,
              CASE WHEN x.carried THEN NULL
                   WHEN i.operation = 'block' THEN 'not in your feed at version ' || $4::text
                   ELSE 'still in your feed at version ' || $4::text END
         FROM blocking_request_items i
        CROSS JOIN LATERAL (
          SELECT coalesce((SELECT c.op FROM feed_changes c
                            WHERE c.organization_id = $3 AND c.indicator_id = i.indicator_id
                              AND c.version <= $4
                            ORDER BY c.version DESC LIMIT 1), 'remove')
                 = CASE i.operation WHEN 'block' THEN 'add' ELSE 'remove' END AS carried) x
        WHERE i.request_id = $2`,
      [confirmationId, feed.requestId, feed.organizationId, feed.version],
    );
  }
}
