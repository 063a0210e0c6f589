import {
  parseIsoDateTime,
  type InvalidParam,
  validationProblem,
} from '#src/platform/problem/index.js';
import { toCsv } from '#src/platform/csv/index.js';
import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AuditLog } from '#src/platform/audit-log/index.js';
import type { Principal } from '#src/identity/index.js';
import { Clock } from '#src/platform/clock/index.js';
import {
  ComplianceRepository,
  type ComplianceRow,
} from '#src/obligations/compliance/compliance.repository.js';
import {
  DEFAULT_SPAN_DAYS,
  MAX_SPAN_DAYS,
  type ComplianceQuery,
  type ComplianceReport,
  type IspCompliance,
} from '#src/obligations/compliance/dto/compliance.dto.js';
import { FeedPullRecorder } from '#src/feeds/index.js';

const DAY_MS = 86_400_000;
/** A date-time must say its offset: a bare local time means a different instant per server. */
/** The CSV columns, in order (one row per ISP). */
const CSV_COLUMNS = [
  'organization_id',
  'short_code',
  'name',
  'assignments',
  'applied',
  'partially_applied',
  'rejected',
  'open',
  'overdue',
  'overdue_documents',
  'withdrawn',
  'on_time',
  'on_time_percent',
  'median_seconds_to_apply',
  'p90_seconds_to_apply',
  'median_seconds_to_acknowledge',
  'rejections',
  'rejection_reasons',
  'last_pull_at',
  'version_held',
  'current_version',
  'version_lag',
] as const;

export interface ComplianceCsv {
  filename: string;
  body: string;
}

const round = (n: number | null): number | null => (n === null ? null : Math.round(n));
const version = (v: string | null): number | null => (v === null ? null : Number(v));

export function toIspCompliance(r: ComplianceRow): IspCompliance {
  return {
    organization: { id: r.organization_id, name: r.name, shortCode: r.short_code },
    assignments: r.assignments,
    applied: r.applied,
    partiallyApplied: r.partially_applied,
    rejected: r.rejected,
    open: r.open,
    overdue: r.overdue,
    overdueAssignments: r.overdue_assignments.map((o) => ({
      assignmentId: o.assignmentId,
      requestId: o.requestId,
      documentNumber: o.documentNumber,
      deadlineAt: new Date(o.deadlineAt).toISOString(),
    })),
    withdrawn: r.withdrawn,
    onTime: r.on_time,
    onTimePercent: r.decided === 0 ? null : Math.round((1000 * r.on_time) / r.decided) / 10,
    medianSecondsToApply: round(r.median_seconds_to_apply),
    p90SecondsToApply: round(r.p90_seconds_to_apply),
    medianSecondsToAcknowledge: round(r.median_seconds_to_acknowledge),
    rejections: r.rejections.map((j) => ({
      assignmentId: j.assignmentId,
      requestId: j.requestId,
      documentNumber: j.documentNumber,
      reason: j.reason,
      at: new Date(j.at).toISOString(),
    })),
    lastPullAt: r.last_pull_at?.toISOString() ?? null,
    versionHeld: version(r.version_held),
    currentVersion: version(r.current_version),
    versionLag: r.version_lag,
  };
}

/** An instant in a file name: `2026-11-01T000000Z` (milliseconds kept when not zero). */
export function fileStamp(iso: string): string {
  return iso.replace(/[:.]/g, '').replace(/000Z$/, 'Z');
}

/**
 * The compliance report (docs/decisions/0010-deadlines-and-compliance.md): per ISP, what
 * became of the assignments of the requests published in a window, and where its feed stands.
 */
@Injectable()
export class ComplianceService {
  constructor(
    private readonly compliance: ComplianceRepository,
    private readonly pulls: FeedPullRecorder,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  async report(query: ComplianceQuery): Promise<ComplianceReport> {
    const now = this.clock.now();
    const { from, to } = this.window(query, now);
    // Pulls buffered by this instance count too.
    await this.pulls.flush();
    const rows = await this.compliance.report(from, to, now);
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      generatedAt: now.toISOString(),
      isps: rows.map(toIspCompliance),
    };
  }

  /**
   * The same figures, one RFC 4180 row per ISP (CRLF, header row, UTF-8, optional BOM). An
   * export: recorded (with the file's SHA-256) before it is answered; no event, no file.
   */
  async csv(caller: Principal, query: ComplianceQuery, bom: boolean): Promise<ComplianceCsv> {
    const report = await this.report(query);
    const rows = report.isps.map((i) => [
      i.organization.id,
      i.organization.shortCode,
      i.organization.name,
      i.assignments,
      i.applied,
      i.partiallyApplied,
      i.rejected,
      i.open,
      i.overdue,
      i.overdueAssignments.map((o) => o.documentNumber).join(' | '),
      i.withdrawn,
      i.onTime,
      i.onTimePercent,
      i.medianSecondsToApply,
      i.p90SecondsToApply,
      i.medianSecondsToAcknowledge,
      i.rejections.length,
      i.rejections.map((j) => `${j.documentNumber}: ${j.reason ?? ''}`).join(' | '),
      i.lastPullAt,
      i.versionHeld,
      i.currentVersion,
      i.versionLag,
    ]);
    const body = toCsv(CSV_COLUMNS, rows, bom);
    const filename = `compliance-${fileStamp(report.from)}-${fileStamp(report.to)}.csv`;
    await this.audit.record(undefined, {
      actor: caller,
      action: 'compliance.export',
      objectType: 'compliance_report',
      objectId: null,
      summary: {
        format: 'csv',
        from: report.from,
        to: report.to,
        rows: rows.length,
        filename,
        bytes: Buffer.byteLength(body),
        sha256: createHash('sha256').update(body).digest('hex'),
      },
    });
    return { filename, body };
  }

  /**
   * [from, to) from the query: defaults, then ISO dates with zones, from < to, span cap (400
   * problems naming the parameter). The PDF parses its window here too.
   */
  window(query: ComplianceQuery, now: Date): { from: Date; to: Date } {
    const problems: InvalidParam[] = [];
    const parse = (name: 'from' | 'to'): Date | undefined => {
      const text = query[name];
      if (text === undefined) return undefined;
      // A calendar date is its midnight UTC; other ISO 8601 forms (weeks, ordinal days,
      // basic format) and days that do not exist are refused, not guessed.
      const date = parseIsoDateTime(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
      if (date === undefined) {
        problems.push({
          name,
          reason: `${name} must be a date (2026-11-01) or a date-time with its zone (2026-11-01T00:00:00Z)`,
        });
      }
      return date;
    };
    const givenFrom = parse('from');
    const givenTo = parse('to');
    if (problems.length > 0) throw validationProblem(problems);
    const to = givenTo ?? now;
    const from = givenFrom ?? new Date(to.getTime() - DEFAULT_SPAN_DAYS * DAY_MS);
    if (from >= to) {
      throw validationProblem([
        {
          name: 'from',
          reason: `from (${from.toISOString()}) must be before to (${to.toISOString()})`,
        },
      ]);
    }
    if (to.getTime() - from.getTime() > MAX_SPAN_DAYS * DAY_MS) {
      throw validationProblem([
        { name: 'to', reason: `the window may span at most ${MAX_SPAN_DAYS} days` },
      ]);
    }
    return { from, to };
  }
}
