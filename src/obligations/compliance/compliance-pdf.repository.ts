import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AssignmentStatus } from '#src/obligations/assignments/assignment.entity.js';
import type { RequestStatus } from '#src/publishing/index.js';
import {
  APPLIED_STATUSES_SQL as APPLIED,
  overdueSql,
} from '#src/obligations/assignments/assignment-status.js';
import type { PdfRequest } from '#src/obligations/compliance/compliance-pdf.js';

/** One assignment of a request published in the window (or the request alone, if it has none). */
interface Row {
  request_id: string;
  document_number: string;
  title: string;
  request_status: RequestStatus;
  published_at: Date;
  request_deadline_at: Date | null;
  assignment_id: string | null;
  isp_name: string | null;
  short_code: string | null;
  status: AssignmentStatus | null;
  deadline_at: Date | null;
  acknowledged_at: Date | null;
  applied_at: Date | null;
  closed_at: Date | null;
  seconds_to_apply: number | null;
  overdue: boolean;
  rejected_at: Date | null;
  reason: string | null;
}

/** The requests of the compliance PDF, each with its per-ISP assignments. */
@Injectable()
export class CompliancePdfRepository {
  /**
   * The requests published in [from, to), oldest first, each with its assignments by ISP short
   * code, in one statement on the caller's transaction. The definitions are the compliance
   * report's (docs/department.md#compliance-report): time to apply is the latest confirmation's
   * applied_at − publication, for applied and partially applied ones; overdue is open and past
   * the deadline at `now`; a rejection's time and reason are the latest (rejecting)
   * confirmation's.
   */
  async requests(manager: EntityManager, from: Date, to: Date, now: Date): Promise<PdfRequest[]> {
    const rows = await manager.query<Row[]>(
      `SELECT r.id AS request_id, r.document_number, r.title, r.status AS request_status,
              r.published_at, r.deadline_at AS request_deadline_at,
              a.id AS assignment_id, o.name AS isp_name, o.short_code, a.status, a.deadline_at,
              a.acknowledged_at, a.applied_at, a.closed_at,
              CASE WHEN a.status IN ${APPLIED} THEN
                greatest(0, extract(epoch FROM a.applied_at - r.published_at))::float8 END
                AS seconds_to_apply,
              coalesce(${overdueSql('a', '$3')}, false) AS overdue,
              CASE WHEN a.status = 'rejected' THEN coalesce(k.created_at, a.closed_at) END
                AS rejected_at,
              CASE WHEN a.status = 'rejected' THEN k.reason END AS reason
         FROM blocking_requests r
         LEFT JOIN assignments a ON a.request_id = r.id
         LEFT JOIN organizations o ON o.id = a.organization_id
         LEFT JOIN confirmations k ON k.id = a.last_confirmation_id
        WHERE r.published_at >= $1 AND r.published_at < $2
        ORDER BY r.published_at, r.document_number, r.id, o.short_code, a.id`,
      [from, to, now],
    );
    const requests: (PdfRequest & { id: string })[] = [];
    let current: (PdfRequest & { id: string }) | undefined;
    for (const row of rows) {
      if (current?.id !== row.request_id) {
        current = {
          id: row.request_id,
          documentNumber: row.document_number,
          title: row.title,
          status: row.request_status,
          publishedAt: row.published_at,
          deadlineAt: row.request_deadline_at,
          assignments: [],
        };
        requests.push(current);
      }
      if (row.assignment_id === null || row.status === null || row.deadline_at === null) continue;
      current.assignments.push({
        isp: { name: row.isp_name ?? '', shortCode: row.short_code ?? '' },
        status: row.status,
        deadlineAt: row.deadline_at,
        acknowledgedAt: row.acknowledged_at,
        appliedAt: row.applied_at,
        closedAt: row.closed_at,
        secondsToApply: row.seconds_to_apply,
        overdue: row.overdue,
        rejectedAt: row.rejected_at,
        reason: row.reason,
      });
    }
    return requests.map(({ id: _id, ...request }) => request);
  }
}
