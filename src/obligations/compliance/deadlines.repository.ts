import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { OPEN_STATUSES_SQL as OPEN } from '#src/obligations/assignments/assignment-status.js';

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

/**
 * The scheduler's claims. Each marks a batch of due assignments and returns them, in one
 * statement: rows are locked with FOR UPDATE SKIP LOCKED and re-checked after the lock, so an
 * assignment is claimed once across runs, restarts and instances. `now` is the application's
 * clock, never SQL now(). The version column is left alone: the marks are the scheduler's
 * bookkeeping, not a change an ISP's optimistic update should trip on.
 */
@Injectable()
export class DeadlinesRepository {
  /** Open, not yet reminded, deadline in (now, now + before]. */
  claimReminders(
    manager: EntityManager,
    now: Date,
    beforeMinutes: number,
    limit: number,
  ): Promise<ClaimedAssignment[]> {
    return this.claim(
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
    return this.claim(
      manager,
      'escalated_at',
      `a.escalated_at IS NULL
         AND a.deadline_at + make_interval(mins => $2::int) < $1::timestamptz`,
      [now, afterMinutes, limit],
    );
  }

  private async claim(
    manager: EntityManager,
    mark: 'reminded_at' | 'escalated_at',
    due: string,
    params: [Date, number, number],
  ): Promise<ClaimedAssignment[]> {
    const [rows] = await manager.query<[ClaimedAssignment[], number]>(
      `WITH due AS (
         SELECT a.id FROM assignments a
          WHERE a.status IN ${OPEN} AND ${due}
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
