import { keysetOrderSql, keysetSql } from '#src/platform/pagination/keyset-query.js';
import { OPEN_STATUSES_SQL, overdueSql } from '#src/obligations/assignments/assignment-status.js';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type {
  ConfirmationStatus,
  HashCheck,
  ItemOutcome,
  Mechanism,
} from '#src/obligations/assignments/confirmation-values.js';
import type { AssignmentStatus } from '#src/publishing/blocking-requests/blocking-request.entity.js';
import type { Keyset } from '#src/platform/pagination/cursor.js';
import type { TenantScope } from '#src/identity/tenancy/tenant-scope.js';
import type { Queryable } from '#src/audit/trail/audit.service.js';
import { readFeedVersion } from '#src/feeds/change-log/feed-version.js';

/** An assignment with the request fields its answers show. */
export interface AssignmentRow {
  id: string;
  request_id: string;
  organization_id: string;
  status: AssignmentStatus;
  deadline_at: Date;
  acknowledged_at: Date | null;
  applied_at: Date | null;
  closed_at: Date | null;
  last_confirmation_id: string | null;
  feed_version: string;
  created_at: Date;
  updated_at: Date;
  document_number: string;
  title: string;
  legal_basis: string | null;
  request_status: string;
  published_at: Date | null;
  request_deadline_at: Date | null;
  item_count: number;
  issued_by: string;
}

export interface AssignmentFilter {
  status?: AssignmentStatus[];
  overdue?: boolean;
  requestId?: string;
  organizationId?: string;
}

export interface AssignmentItemRow {
  indicator_id: string;
  type: string;
  value: string;
  operation: string;
  outcome: ItemOutcome | null;
  outcome_reason: string | null;
}

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

export interface ReceiptRow {
  id: string;
  organization_id: string;
  version: string;
  format: string;
  applied_at: Date;
  mechanism: string;
  evidence: string | null;
  sha256: string | null;
  hash_check: HashCheck;
  assignments_confirmed: number;
  created_at: Date;
}

export interface NewReceipt {
  organizationId: string;
  version: number;
  format: string;
  appliedAt: Date;
  mechanism: Mechanism;
  evidence: string | null;
  sha256: string | null;
  hashCheck: HashCheck;
  actorType: 'user' | 'api_client';
  actorId: string;
}

export interface ReceiptFilter {
  organizationId?: string;
  flagged?: boolean;
}

const ASSIGNMENT_COLUMNS = `a.id, a.request_id, a.organization_id, a.status, a.deadline_at,
  a.acknowledged_at, a.applied_at, a.closed_at, a.last_confirmation_id, a.feed_version,
  a.created_at, a.updated_at, r.document_number, r.title, r.legal_basis,
  r.status AS request_status, r.published_at, r.deadline_at AS request_deadline_at, r.item_count,
  r.issued_by`;

const CONFIRMATION_COLUMNS = `id, assignment_id, organization_id, status, reason, applied_at,
  mechanism, evidence, evidence_sha256, receipt_id, actor_type, actor_id, created_at`;

const RECEIPT_FIELDS = [
  'id',
  'organization_id',
  'version',
  'format',
  'applied_at',
  'mechanism',
  'evidence',
  'sha256',
  'hash_check',
  'assignments_confirmed',
  'created_at',
];
const RECEIPT_COLUMNS = RECEIPT_FIELDS.join(', ');

/** Assignments, their confirmations (appended, never updated) and feed receipts. */
@Injectable()
export class AssignmentsRepository {
  constructor(private readonly dataSource: DataSource) {}

  listPage(
    filter: AssignmentFilter,
    scope: TenantScope,
    now: Date,
    after: Keyset | undefined,
    limit: number,
  ): Promise<AssignmentRow[]> {
    const params: unknown[] = [];
    const where: string[] = [];
    // The scope and the filter both apply: an ISP naming another organization gets nothing.
    for (const org of [scope.organizationId, filter.organizationId]) {
      if (org === undefined) continue;
      params.push(org);
      where.push(`a.organization_id = $${params.length}`);
    }
    if (filter.status?.length) {
      params.push(filter.status);
      where.push(`a.status = ANY($${params.length}::text[])`);
    }
    if (filter.requestId !== undefined) {
      params.push(filter.requestId);
      where.push(`a.request_id = $${params.length}`);
    }
    if (filter.overdue !== undefined) {
      params.push(now);
      const overdue = overdueSql('a', `$${params.length}`);
      where.push(filter.overdue ? overdue : `NOT ${overdue}`);
    }
    where.push(keysetSql('a', after, params));
    params.push(limit + 1);
    return this.dataSource.query(
      `SELECT ${ASSIGNMENT_COLUMNS}
         FROM assignments a JOIN blocking_requests r ON r.id = a.request_id
        WHERE ${where.join(' AND ')}
        ORDER BY ${keysetOrderSql('a')}
        LIMIT $${params.length}`,
      params,
    );
  }

  /** The assignment if the scope covers its organization. */
  async findVisible(
    id: string,
    scope: TenantScope,
    manager?: EntityManager,
  ): Promise<AssignmentRow | null> {
    const rows = await (manager ?? this.dataSource.manager).query<AssignmentRow[]>(
      `SELECT ${ASSIGNMENT_COLUMNS}
         FROM assignments a JOIN blocking_requests r ON r.id = a.request_id
        WHERE a.id = $1 AND ($2::uuid IS NULL OR a.organization_id = $2)`,
      [id, scope.organizationId ?? null],
    );
    return rows[0] ?? null;
  }

  /** Reads the assignment and locks its row until the end of the transaction. */
  async lock(manager: EntityManager, id: string): Promise<AssignmentRow> {
    const [row] = await manager.query<AssignmentRow[]>(
      `SELECT ${ASSIGNMENT_COLUMNS}
         FROM assignments a JOIN blocking_requests r ON r.id = a.request_id
        WHERE a.id = $1
          FOR UPDATE OF a`,
      [id],
    );
    if (!row) throw new Error(`assignment ${id} vanished`);
    return row;
  }

  /** The request's items, each with the latest outcome stated for it on this assignment. */
  items(requestId: string, assignmentId: string): Promise<AssignmentItemRow[]> {
    return this.dataSource.query(
      `SELECT i.indicator_id, n.type, n.value, i.operation, lo.outcome, lo.reason AS outcome_reason
         FROM blocking_request_items i
         JOIN indicators n ON n.id = i.indicator_id
         LEFT JOIN LATERAL (
           SELECT ci.outcome, ci.reason FROM confirmation_items ci
             JOIN confirmations c ON c.id = ci.confirmation_id
            WHERE c.assignment_id = $2 AND ci.indicator_id = i.indicator_id
            ORDER BY c.created_at DESC, c.id DESC LIMIT 1) lo ON true
        WHERE i.request_id = $1
        ORDER BY n.value, i.indicator_id`,
      [requestId, assignmentId],
    );
  }

  /** Every confirmation of the assignment, oldest first. */
  confirmations(assignmentId: string): Promise<ConfirmationRow[]> {
    return this.dataSource.query(
      `SELECT ${CONFIRMATION_COLUMNS} FROM confirmations WHERE assignment_id = $1
        ORDER BY created_at, id`,
      [assignmentId],
    );
  }

  async confirmation(
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

  confirmationItems(
    confirmationIds: string[],
    manager?: EntityManager,
  ): Promise<ConfirmationItemRow[]> {
    return (manager ?? this.dataSource.manager).query(
      `SELECT ci.confirmation_id, ci.indicator_id, ci.outcome, ci.reason
         FROM confirmation_items ci JOIN indicators n ON n.id = ci.indicator_id
        WHERE ci.confirmation_id = ANY($1::uuid[])
        ORDER BY n.value, ci.indicator_id`,
      [confirmationIds],
    );
  }

  /** Of these indicator ids, those that are items of the request. */
  async itemsOfRequest(
    manager: EntityManager,
    requestId: string,
    indicatorIds: string[],
  ): Promise<Set<string>> {
    const rows = await manager.query<{ indicator_id: string }[]>(
      `SELECT indicator_id FROM blocking_request_items
        WHERE request_id = $1 AND indicator_id = ANY($2::uuid[])`,
      [requestId, indicatorIds],
    );
    return new Set(rows.map((r) => r.indicator_id));
  }

  async insertConfirmation(manager: EntityManager, c: NewConfirmation): Promise<string> {
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

  /** The assignment shows what the latest confirmation says; closed_at is set once. */
  async applyConfirmation(
    manager: EntityManager,
    id: string,
    status: ConfirmationStatus,
    appliedAt: Date | null,
    confirmationId: string,
    now: Date,
  ): Promise<void> {
    await manager.query(
      `UPDATE assignments
          SET status = $2, applied_at = $3, last_confirmation_id = $4,
              closed_at = coalesce(closed_at, $5), acknowledged_at = coalesce(acknowledged_at, $5),
              version = version + 1, updated_at = now()
        WHERE id = $1`,
      [id, status, appliedAt, confirmationId, now],
    );
  }

  async acknowledge(manager: EntityManager, id: string, now: Date): Promise<void> {
    await manager.query(
      `UPDATE assignments SET status = 'acknowledged', acknowledged_at = $2,
              version = version + 1, updated_at = now()
        WHERE id = $1 AND status = 'pending'`,
      [id, now],
    );
  }

  async openCount(manager: EntityManager, requestId: string): Promise<number> {
    const [row] = await manager.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM assignments
        WHERE request_id = $1 AND status IN ${OPEN_STATUSES_SQL}`,
      [requestId],
    );
    return row.n;
  }

  // Feed receipts.

  /** The committed feed version (decision 0005). */
  async feedVersion(connection: Queryable = this.dataSource): Promise<number> {
    return readFeedVersion(connection);
  }

  /** Whether a pull of the organization reached `version` or beyond. */
  async served(organizationId: string, version: number): Promise<boolean> {
    const rows = await this.dataSource.query<unknown[]>(
      `SELECT 1 FROM feed_pulls
        WHERE organization_id = $1 AND to_version >= $2 AND status IN (200, 304) LIMIT 1`,
      [organizationId, version],
    );
    return rows.length > 0;
  }

  /** Whether a body with this hash was served to the organization at this version and format. */
  async servedWithHash(
    organizationId: string,
    version: number,
    format: string,
    sha256: string,
  ): Promise<boolean> {
    const rows = await this.dataSource.query<unknown[]>(
      `SELECT 1 FROM feed_pulls
        WHERE organization_id = $1 AND to_version = $2 AND format = $3 AND sha256 = $4
          AND status = 200 LIMIT 1`,
      [organizationId, version, format, sha256],
    );
    return rows.length > 0;
  }

  /**
   * The organization's open assignments whose publication was complete in its feed at
   * `version`, in request order (the lock order of every writer here), with the latest
   * publication time among them.
   */
  coveredOpen(
    manager: EntityManager,
    organizationId: string,
    version: number,
  ): Promise<{ id: string; request_id: string; published_at: Date }[]> {
    return manager.query(
      `SELECT a.id, a.request_id, r.published_at
         FROM assignments a JOIN blocking_requests r ON r.id = a.request_id
        WHERE a.organization_id = $1 AND a.feed_version <= $2
          AND a.status IN ${OPEN_STATUSES_SQL} AND r.status = 'published'
        ORDER BY a.request_id`,
      [organizationId, version],
    );
  }

  async insertReceipt(manager: EntityManager, r: NewReceipt): Promise<ReceiptRow> {
    const [row] = await manager.query<ReceiptRow[]>(
      `INSERT INTO feed_receipts (organization_id, version, format, applied_at, mechanism, evidence,
                                  sha256, hash_check, actor_type, actor_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       RETURNING ${RECEIPT_COLUMNS}`,
      [
        r.organizationId,
        r.version,
        r.format,
        r.appliedAt,
        r.mechanism,
        r.evidence,
        r.sha256,
        r.hashCheck,
        r.actorType,
        r.actorId,
      ],
    );
    return row;
  }

  async setReceiptCount(manager: EntityManager, id: string, count: number): Promise<void> {
    await manager.query(`UPDATE feed_receipts SET assignments_confirmed = $2 WHERE id = $1`, [
      id,
      count,
    ]);
  }

  receiptsPage(
    filter: ReceiptFilter,
    scope: TenantScope,
    after: Keyset | undefined,
    limit: number,
  ): Promise<ReceiptRow[]> {
    const params: unknown[] = [];
    const where: string[] = [];
    for (const org of [scope.organizationId, filter.organizationId]) {
      if (org === undefined) continue;
      params.push(org);
      where.push(`f.organization_id = $${params.length}`);
    }
    if (filter.flagged !== undefined) {
      where.push(filter.flagged ? `f.hash_check = 'mismatch'` : `f.hash_check <> 'mismatch'`);
    }
    where.push(keysetSql('f', after, params));
    params.push(limit + 1);
    return this.dataSource.query(
      `SELECT ${RECEIPT_FIELDS.map((f) => `f.${f}`).join(', ')} FROM feed_receipts f
        WHERE ${where.join(' AND ')}
        ORDER BY ${keysetOrderSql('f')}
        LIMIT $${params.length}`,
      params,
    );
  }
}
