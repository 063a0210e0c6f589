import { keysetOrderSql, keysetSql, type Keyset } from '#src/platform/pagination/index.js';
import { OPEN_STATUSES_SQL, overdueSql } from '#src/obligations/assignments/assignment-status.js';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { PublishedTo } from '#src/feeds/index.js';
import type {
  ConfirmationStatus,
  ItemOutcome,
} from '#src/obligations/assignments/confirmation-values.js';
import type { AssignmentStatus } from '#src/obligations/assignments/assignment.entity.js';
import type { TenantScope } from '#src/identity/index.js';

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

/** An assignment with what its latest confirmation says (the Department's view). */
export interface AssignmentSummaryRow {
  id: string;
  organization_id: string;
  status: AssignmentStatus;
  deadline_at: Date;
  acknowledged_at: Date | null;
  applied_at: Date | null;
  closed_at: Date | null;
  confirmation_status: string | null;
  confirmation_mechanism: string | null;
  confirmation_reason: string | null;
  confirmation_receipt_id: string | null;
}

/** An assignment the scheduler claimed, with what its event names. */
export interface ClaimedAssignment {
  id: string;
  request_id: string;
  organization_id: string;
  deadline_at: Date;
  document_number: string;
  /** The Department organization that issued the request. */
  issued_by: string;
}

export interface AssignmentItemRow {
  indicator_id: string;
  type: string;
  value: string;
  operation: string;
  outcome: ItemOutcome | null;
  outcome_reason: string | null;
}

const ASSIGNMENT_COLUMNS = `a.id, a.request_id, a.organization_id, a.status, a.deadline_at,
  a.acknowledged_at, a.applied_at, a.closed_at, a.last_confirmation_id, a.feed_version,
  a.created_at, a.updated_at, r.document_number, r.title, r.legal_basis,
  r.status AS request_status, r.published_at, r.deadline_at AS request_deadline_at, r.item_count,
  r.issued_by`;

/**
 * The assignments table: opened at publication, updated by acknowledgements, confirmations and
 * withdrawal, marked by the deadline scheduler.
 */
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

  /** A request's assignments (the organization's only, when given), oldest first. */
  summariesOfRequest(requestId: string, organizationId?: string): Promise<AssignmentSummaryRow[]> {
    return this.dataSource.query(
      `SELECT a.id, a.organization_id, a.status, a.deadline_at, a.acknowledged_at, a.applied_at,
              a.closed_at, c.status AS confirmation_status, c.mechanism AS confirmation_mechanism,
              c.reason AS confirmation_reason, c.receipt_id AS confirmation_receipt_id
         FROM assignments a LEFT JOIN confirmations c ON c.id = a.last_confirmation_id
        WHERE a.request_id = $1 AND ($2::uuid IS NULL OR a.organization_id = $2)
        ORDER BY a.created_at, a.id`,
      [requestId, organizationId ?? null],
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

  /** The ISPs a published request was addressed to (one assignment each). */
  async organizationIdsOfRequest(manager: EntityManager, requestId: string): Promise<string[]> {
    const rows = await manager.query<{ organization_id: string }[]>(
      `SELECT organization_id FROM assignments WHERE request_id = $1 ORDER BY organization_id`,
      [requestId],
    );
    return rows.map((r) => r.organization_id);
  }

  /** Open assignments (not yet applied or rejected) of a withdrawn request are closed. */
  async withdrawOpen(manager: EntityManager, requestId: string): Promise<void> {
    await manager.query(
      `UPDATE assignments SET status = 'withdrawn', version = version + 1, updated_at = now()
        WHERE request_id = $1 AND status IN ${OPEN_STATUSES_SQL}`,
      [requestId],
    );
  }

  /**
   * One assignment per ISP the publication reached, recording the version its feed reached
   * (`FeedWriter.publish`'s `publishedTo`; decision 0008).
   */
  async insertForPublication(
    manager: EntityManager,
    requestId: string,
    publishedTo: PublishedTo[],
    deadlineAt: Date,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO assignments (request_id, organization_id, deadline_at, feed_version)
       SELECT $1, o, $3, v FROM unnest($2::uuid[], $4::bigint[]) AS u(o, v)`,
      [
        requestId,
        publishedTo.map((p) => p.organizationId),
        deadlineAt,
        publishedTo.map((p) => p.version),
      ],
    );
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

  // The deadline scheduler's claims. Each marks a batch of due assignments and returns them, in
  // one statement: rows are locked with FOR UPDATE SKIP LOCKED and re-checked after the lock, so
  // an assignment is claimed once across runs, restarts and instances. `now` is the
  // application's clock, never SQL now(). The version column is left alone: the marks are the
  // scheduler's bookkeeping, not a change an ISP's optimistic update should trip on.

  /** Open, not yet reminded, deadline in (now, now + before]. */
  claimReminders(
    manager: EntityManager,
    now: Date,
    beforeMinutes: number,
    limit: number,
  ): Promise<ClaimedAssignment[]> {
    return this.claimMark(
      manager,
      'reminded_at',
      `a.reminded_at IS NULL AND a.deadline_at > $1
         AND a.deadline_at <= $1::timestamptz + make_interval(mins => $2::int)`,
      [now, beforeMinutes, limit],
    );
  }

  /** Open, not yet escalated, deadline + after < now (overdue: strictly past the deadline). */
  claimEscalations(
    manager: EntityManager,
    now: Date,
    afterMinutes: number,
    limit: number,
  ): Promise<ClaimedAssignment[]> {
    return this.claimMark(
      manager,
      'escalated_at',
      `a.escalated_at IS NULL
         AND a.deadline_at + make_interval(mins => $2::int) < $1::timestamptz`,
      [now, afterMinutes, limit],
    );
  }

  private async claimMark(
    manager: EntityManager,
    mark: 'reminded_at' | 'escalated_at',
    due: string,
    params: [Date, number, number],
  ): Promise<ClaimedAssignment[]> {
    const [rows] = await manager.query<[ClaimedAssignment[], number]>(
      `WITH due AS (
         SELECT a.id FROM assignments a
          WHERE a.status IN ${OPEN_STATUSES_SQL} AND ${due}
          ORDER BY a.deadline_at, a.id
          LIMIT $3
          FOR UPDATE OF a SKIP LOCKED)
       UPDATE assignments a SET ${mark} = $1
         FROM due, blocking_requests r
        WHERE a.id = due.id AND r.id = a.request_id
       RETURNING a.id, a.request_id, a.organization_id, a.deadline_at, r.document_number,
                 r.issued_by`,
      params,
    );
    // RETURNING follows the plan, not the CTE's ORDER BY: events are written in deadline, id
    // order (uuid order is the order of its lower-case text).
    return rows.sort(
      (x, y) =>
        x.deadline_at.getTime() - y.deadline_at.getTime() ||
        (x.id < y.id ? -1 : x.id > y.id ? 1 : 0),
    );
  }
}
