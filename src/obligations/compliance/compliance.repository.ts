import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  APPLIED_STATUSES_SQL as APPLIED,
  CLOSED_STATUSES_SQL as CLOSED,
  OPEN_STATUSES_SQL as OPEN,
  overdueSql,
} from '#src/obligations/assignments/assignment-status.js';
import { lastChangeVersionSql, pendingChangesSql } from '#src/feeds/index.js';

export interface RejectionRow {
  assignmentId: string;
  requestId: string;
  documentNumber: string;
  reason: string | null;
  /** ISO 8601, as json_build_object writes a timestamptz. */
  at: string;
}

export interface OverdueRow {
  assignmentId: string;
  requestId: string;
  documentNumber: string;
  /** ISO 8601, as json_build_object writes a timestamptz. */
  deadlineAt: string;
}

/** One ISP's figures over the assignments of the requests published in the window. */
export interface ComplianceRow {
  organization_id: string;
  name: string;
  short_code: string;
  assignments: number;
  applied: number;
  partially_applied: number;
  rejected: number;
  open: number;
  overdue: number;
  /** The overdue assignments, earliest deadline first. */
  overdue_assignments: OverdueRow[];
  withdrawn: number;
  /** Closed or past their deadline (not withdrawn): the base of the on-time percentage. */
  decided: number;
  on_time: number;
  median_seconds_to_apply: number | null;
  p90_seconds_to_apply: number | null;
  median_seconds_to_acknowledge: number | null;
  rejections: RejectionRow[];
  last_pull_at: Date | null;
  version_held: string | null;
  current_version: string | null;
  version_lag: number;
}

@Injectable()
export class ComplianceRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Every ISP organization, with its figures over the assignments of requests published in
   * [from, to), in one statement (aggregates by ISP, then one lateral lookup per ISP on the
   * feed indexes). `now` is the clock's: overdue is computed at read time, never stored.
   * Percentiles are PostgreSQL's percentile_cont (linear interpolation), in seconds.
   *
   * On time: applied or partially applied now, and the ISP's FIRST application (the earliest
   * applied/partially_applied confirmation) was stated at or before the deadline. Not closed_at:
   * that is the first close of any kind, so a rejection on time followed by a late application
   * would count. The time to apply stays applied_at (the latest confirmation's) − publication,
   * never below 0 (an appliedAt stated to the second may precede a publication in that second).
   * On `manager` when given (a transaction's), else the pool.
   */
  report(from: Date, to: Date, now: Date, manager?: EntityManager): Promise<ComplianceRow[]> {
    return (manager ?? this.dataSource).query<ComplianceRow[]>(
      `WITH window_assignments AS (
         SELECT a.id, a.organization_id, a.request_id, a.status, a.deadline_at, a.closed_at,
                a.applied_at, a.acknowledged_at, a.last_confirmation_id, r.published_at,
                r.document_number,
                (SELECT min(c.created_at) FROM confirmations c
                  WHERE c.assignment_id = a.id AND c.status IN ${APPLIED}) AS first_applied_at
           FROM assignments a
           JOIN blocking_requests r ON r.id = a.request_id
          WHERE r.published_at >= $1 AND r.published_at < $2),
       figures AS (
         SELECT w.organization_id,
                count(*)::int AS assignments,
                count(*) FILTER (WHERE w.status = 'applied')::int AS applied,
                count(*) FILTER (WHERE w.status = 'partially_applied')::int AS partially_applied,
                count(*) FILTER (WHERE w.status = 'rejected')::int AS rejected,
                count(*) FILTER (WHERE w.status IN ${OPEN})::int AS open,
                count(*) FILTER (WHERE ${overdueSql('w', '$3')})::int AS overdue,
                coalesce(json_agg(json_build_object(
                  'assignmentId', w.id, 'requestId', w.request_id,
                  'documentNumber', w.document_number, 'deadlineAt', w.deadline_at)
                  ORDER BY w.deadline_at, w.id)
                  FILTER (WHERE ${overdueSql('w', '$3')}), '[]') AS overdue_assignments,
                count(*) FILTER (WHERE w.status = 'withdrawn')::int AS withdrawn,
                count(*) FILTER (WHERE w.status IN ${CLOSED} OR ${overdueSql('w', '$3')})::int
                  AS decided,
                count(*) FILTER (WHERE w.status IN ${APPLIED}
                                   AND w.first_applied_at <= w.deadline_at)::int AS on_time,
                percentile_cont(0.5) WITHIN GROUP (
                  ORDER BY greatest(0, extract(epoch FROM w.applied_at - w.published_at)))
                  FILTER (WHERE w.status IN ${APPLIED} AND w.applied_at IS NOT NULL)
                  AS median_seconds_to_apply,
                percentile_cont(0.9) WITHIN GROUP (
                  ORDER BY greatest(0, extract(epoch FROM w.applied_at - w.published_at)))
                  FILTER (WHERE w.status IN ${APPLIED} AND w.applied_at IS NOT NULL)
                  AS p90_seconds_to_apply,
                percentile_cont(0.5) WITHIN GROUP (
                  ORDER BY extract(epoch FROM w.acknowledged_at - w.published_at))
                  FILTER (WHERE w.acknowledged_at IS NOT NULL)
                  AS median_seconds_to_acknowledge,
                coalesce(json_agg(json_build_object(
                  'assignmentId', w.id, 'requestId', w.request_id,
                  'documentNumber', w.document_number, 'reason', k.reason,
                  'at', coalesce(k.created_at, w.closed_at))
                  ORDER BY coalesce(k.created_at, w.closed_at), w.id)
                  FILTER (WHERE w.status = 'rejected'), '[]') AS rejections
           FROM window_assignments w
           LEFT JOIN confirmations k ON k.id = w.last_confirmation_id
          GROUP BY w.organization_id)
       SELECT o.id AS organization_id, o.name, o.short_code,
              coalesce(f.assignments, 0) AS assignments, coalesce(f.applied, 0) AS applied,
              coalesce(f.partially_applied, 0) AS partially_applied,
              coalesce(f.rejected, 0) AS rejected, coalesce(f.open, 0) AS open,
              coalesce(f.overdue, 0) AS overdue,
              coalesce(f.overdue_assignments, '[]') AS overdue_assignments,
              coalesce(f.withdrawn, 0) AS withdrawn,
              coalesce(f.decided, 0) AS decided, coalesce(f.on_time, 0) AS on_time,
              f.median_seconds_to_apply, f.p90_seconds_to_apply, f.median_seconds_to_acknowledge,
              coalesce(f.rejections, '[]') AS rejections,
              p.last_pull_at, p.version_held,
              ${lastChangeVersionSql('o.id')} AS current_version,
              ${pendingChangesSql('o.id', 'p.version_held')} AS version_lag
         FROM organizations o
         LEFT JOIN figures f ON f.organization_id = o.id
         LEFT JOIN LATERAL (
           SELECT (SELECT max(fp.at) FROM feed_pulls fp WHERE fp.organization_id = o.id)
                    AS last_pull_at,
                  (SELECT max(fp.to_version) FROM feed_pulls fp WHERE fp.organization_id = o.id)
                    AS version_held) p ON true
        WHERE o.kind = 'isp'
        ORDER BY o.short_code, o.id`,
      [from, to, now],
    );
  }
}
