import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Keyset } from '#src/platform/pagination/index.js';

export const CASE_STATUSES = ['open', 'acknowledged', 'remediated', 'closed'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];
export const ACTIVE_STATUSES: readonly CaseStatus[] = ['open', 'acknowledged', 'remediated'];

export type ActorKind = 'user' | 'api_client' | 'system';

export interface Remediation {
  summary: string;
  actions: { kind: string; detail: string | null }[];
}

/** A case as stored, with its unit's name and its connection counts. */
export interface CaseRow extends Keyset {
  id: string;
  unitId: string;
  unitName: string;
  unitShortCode: string;
  status: CaseStatus;
  openedAt: Date;
  deadlineAt: Date;
  firstSeen: Date;
  lastSeen: Date;
  acknowledgedAt: Date | null;
  acknowledgedByType: 'user' | 'api_client' | null;
  acknowledgedBy: string | null;
  remediation: Remediation | null;
  remediatedAt: Date | null;
  remediatedByType: 'user' | 'api_client' | null;
  remediatedBy: string | null;
  closedAt: Date | null;
  reopenCount: number;
  reopenedAt: Date | null;
  remindedAt: Date | null;
  escalatedAt: Date | null;
  updatedAt: Date;
  version: number;
  addresses: number;
  c2s: number;
  connections: number;
}

export interface ConnectionRow {
  id: string;
  /** Microsecond text of last_seen, for the cursor. */
  lastSeenMicros: string;
  address: string;
  c2Type: string;
  c2Value: string;
  indicatorId: string | null;
  count: number;
  firstSeen: Date;
  lastSeen: Date;
  lastReportedBy: string | null;
}

export interface HistoryRow {
  fromStatus: CaseStatus | null;
  toStatus: CaseStatus;
  actorType: ActorKind;
  actorId: string | null;
  reason: string | null;
  at: Date;
}

/** One connection to merge into a case (already aggregated per key). */
export interface ConnectionUpsert {
  address: string;
  c2Type: string;
  c2Value: string;
  indicatorId: string | null;
  count: number;
  firstSeen: Date;
  lastSeen: Date;
}

/** A row of the published list: an active case and its unit. */
export interface PublishedRow {
  caseId: string;
  unitId: string;
  unitName: string;
  unitShortCode: string;
  status: CaseStatus;
  addresses: number;
  c2s: number;
  firstSeen: Date;
  lastSeen: Date;
  deadlineAt: Date;
}

export interface CaseFilter {
  /** A unit officer's own unit. */
  scopeUnitId?: string;
  unitId?: string;
  status?: CaseStatus;
}

const CASE_COLUMNS = `
  c.id, c.unit_id, o.name AS unit_name, o.short_code AS unit_short_code, c.status, c.opened_at,
  c.deadline_at, c.first_seen, c.last_seen, c.acknowledged_at, c.acknowledged_by_type,
  c.acknowledged_by, c.remediation, c.remediated_at, c.remediated_by_type, c.remediated_by,
  c.closed_at, c.reopen_count, c.reopened_at, c.reminded_at, c.escalated_at, c.created_at,
  c.updated_at, c.version`;

const COUNTS = `
  (SELECT count(DISTINCT x.address) FROM unit_connections x WHERE x.case_id = c.id) AS addresses,
  (SELECT count(DISTINCT (x.c2_type, x.c2_value)) FROM unit_connections x WHERE x.case_id = c.id) AS c2s,
  (SELECT count(*) FROM unit_connections x WHERE x.case_id = c.id) AS connections`;

interface RawCase {
  id: string;
  unit_id: string;
  unit_name: string;
  unit_short_code: string;
  status: CaseStatus;
  opened_at: Date;
  deadline_at: Date;
  first_seen: Date;
  last_seen: Date;
  acknowledged_at: Date | null;
  acknowledged_by_type: 'user' | 'api_client' | null;
  acknowledged_by: string | null;
  remediation: Remediation | null;
  remediated_at: Date | null;
  remediated_by_type: 'user' | 'api_client' | null;
  remediated_by: string | null;
  closed_at: Date | null;
  reopen_count: number;
  reopened_at: Date | null;
  reminded_at: Date | null;
  escalated_at: Date | null;
  created_at: Date;
  updated_at: Date;
  version: number;
  addresses?: string;
  c2s?: string;
  connections?: string;
}

function toCase(r: RawCase): CaseRow {
  return {
    id: r.id,
    unitId: r.unit_id,
    unitName: r.unit_name,
    unitShortCode: r.unit_short_code,
    status: r.status,
    openedAt: r.opened_at,
    deadlineAt: r.deadline_at,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    acknowledgedAt: r.acknowledged_at,
    acknowledgedByType: r.acknowledged_by_type,
    acknowledgedBy: r.acknowledged_by,
    remediation: r.remediation,
    remediatedAt: r.remediated_at,
    remediatedByType: r.remediated_by_type,
    remediatedBy: r.remediated_by,
    closedAt: r.closed_at,
    reopenCount: r.reopen_count,
    reopenedAt: r.reopened_at,
    remindedAt: r.reminded_at,
    escalatedAt: r.escalated_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    version: r.version,
    addresses: Number(r.addresses ?? 0),
    c2s: Number(r.c2s ?? 0),
    connections: Number(r.connections ?? 0),
  };
}

/** `unit_cases`, `unit_connections`, `unit_case_history` (SQL only); reads organizations' names. */
@Injectable()
export class CasesRepository {
  constructor(private readonly dataSource: DataSource) {}

  private q(manager?: EntityManager): EntityManager | DataSource {
    return manager ?? this.dataSource;
  }

  /** The case, with its counts (no lock). */
  async find(id: string, manager?: EntityManager): Promise<CaseRow | null> {
    const rows = await this.q(manager).query<RawCase[]>(
      `SELECT ${CASE_COLUMNS}, ${COUNTS}
         FROM unit_cases c JOIN organizations o ON o.id = c.unit_id WHERE c.id = $1`,
      [id],
    );
    return rows[0] ? toCase(rows[0]) : null;
  }

  /** Locks the case row (FOR UPDATE OF the case only); null when there is none. */
  async lock(manager: EntityManager, id: string): Promise<CaseRow | null> {
    const rows = await manager.query<RawCase[]>(
      `SELECT ${CASE_COLUMNS}
         FROM unit_cases c JOIN organizations o ON o.id = c.unit_id
        WHERE c.id = $1 FOR UPDATE OF c`,
      [id],
    );
    return rows[0] ? toCase(rows[0]) : null;
  }

  /** Locks the unit's active (not closed) case, if any. */
  async lockActive(manager: EntityManager, unitId: string): Promise<CaseRow | null> {
    const rows = await manager.query<RawCase[]>(
      `SELECT ${CASE_COLUMNS}
         FROM unit_cases c JOIN organizations o ON o.id = c.unit_id
        WHERE c.unit_id = $1 AND c.status <> 'closed' FOR UPDATE OF c`,
      [unitId],
    );
    return rows[0] ? toCase(rows[0]) : null;
  }

  /** Locks the unit's most recently closed case if it closed at or after `since`. */
  async lockLatestClosedSince(
    manager: EntityManager,
    unitId: string,
    since: Date,
  ): Promise<CaseRow | null> {
    const rows = await manager.query<RawCase[]>(
      `SELECT ${CASE_COLUMNS}
         FROM unit_cases c JOIN organizations o ON o.id = c.unit_id
        WHERE c.unit_id = $1 AND c.status = 'closed' AND c.closed_at >= $2
        ORDER BY c.closed_at DESC LIMIT 1 FOR UPDATE OF c`,
      [unitId, since],
    );
    return rows[0] ? toCase(rows[0]) : null;
  }

  /**
   * Opens a case for the unit unless another transaction just did (the partial unique index):
   * its id, or null when one is active already.
   */
  async insertOpen(
    manager: EntityManager,
    unitId: string,
    at: Date,
    deadlineAt: Date,
    firstSeen: Date,
    lastSeen: Date,
  ): Promise<string | null> {
    const rows = await manager.query<{ id: string }[]>(
      `INSERT INTO unit_cases (unit_id, status, opened_at, deadline_at, first_seen, last_seen, created_at, updated_at)
       VALUES ($1, 'open', $2, $3, $4, $5, $2, $2)
       ON CONFLICT (unit_id) WHERE status <> 'closed' DO NOTHING RETURNING id`,
      [unitId, at, deadlineAt, firstSeen, lastSeen],
    );
    return rows[0]?.id ?? null;
  }

  /** closed → open: a new deadline, the marks and the acknowledgement and remediation cleared. */
  async reopenClosed(
    manager: EntityManager,
    id: string,
    at: Date,
    deadlineAt: Date,
  ): Promise<boolean> {
    // Through a CTE: TypeORM answers an UPDATE's RETURNING as [rows, count].
    const rows = await manager.query<{ id: string }[]>(
      `WITH u AS (UPDATE unit_cases SET status = 'open', closed_at = NULL, reopen_count = reopen_count + 1,
              reopened_at = $2, deadline_at = $3, reminded_at = NULL, escalated_at = NULL,
              acknowledged_at = NULL, acknowledged_by = NULL, acknowledged_by_type = NULL,
              remediation = NULL, remediated_at = NULL, remediated_by = NULL, remediated_by_type = NULL,
              updated_at = $2, version = version + 1
        WHERE id = $1 AND status = 'closed' RETURNING id) SELECT id FROM u`,
      [id, at, deadlineAt],
    );
    return rows.length === 1;
  }

  /** remediated → acknowledged (a connection after the remediation): a new deadline and marks. */
  async backToAcknowledged(
    manager: EntityManager,
    id: string,
    at: Date,
    deadlineAt: Date,
  ): Promise<void> {
    await manager.query(
      `UPDATE unit_cases SET status = 'acknowledged', reopened_at = $2, deadline_at = $3,
              reminded_at = NULL, escalated_at = NULL, updated_at = $2, version = version + 1
        WHERE id = $1 AND status = 'remediated'`,
      [id, at, deadlineAt],
    );
  }

  /** Merges connections into the case (count added, first seen min, last seen max). */
  async upsertConnections(
    manager: EntityManager,
    caseId: string,
    reporterOrganizationId: string,
    rows: ConnectionUpsert[],
  ): Promise<void> {
    await manager.query(
      `INSERT INTO unit_connections
         (case_id, address, c2_type, c2_value, indicator_id, count, first_seen, last_seen, last_reported_by)
       SELECT $1, address, c2_type, c2_value, indicator_id, count, first_seen, last_seen, $2
         FROM unnest($3::cidr[], $4::text[], $5::text[], $6::uuid[], $7::bigint[],
                     $8::timestamptz[], $9::timestamptz[])
              AS x(address, c2_type, c2_value, indicator_id, count, first_seen, last_seen)
       ON CONFLICT (case_id, address, c2_type, c2_value) DO UPDATE SET
         count = unit_connections.count + EXCLUDED.count,
         first_seen = least(unit_connections.first_seen, EXCLUDED.first_seen),
         last_seen = greatest(unit_connections.last_seen, EXCLUDED.last_seen),
         indicator_id = coalesce(EXCLUDED.indicator_id, unit_connections.indicator_id),
         last_reported_by = EXCLUDED.last_reported_by`,
      [
        caseId,
        reporterOrganizationId,
        rows.map((r) => r.address),
        rows.map((r) => r.c2Type),
        rows.map((r) => r.c2Value),
        rows.map((r) => r.indicatorId),
        rows.map((r) => String(r.count)),
        rows.map((r) => r.firstSeen),
        rows.map((r) => r.lastSeen),
      ],
    );
  }

  /** The case's first and last seen widened to include [firstSeen, lastSeen]. */
  async widenSeen(
    manager: EntityManager,
    id: string,
    firstSeen: Date,
    lastSeen: Date,
    at: Date,
  ): Promise<void> {
    await manager.query(
      `UPDATE unit_cases SET first_seen = least(first_seen, $2), last_seen = greatest(last_seen, $3),
              updated_at = $4
        WHERE id = $1`,
      [id, firstSeen, lastSeen, at],
    );
  }

  async acknowledge(
    manager: EntityManager,
    id: string,
    actor: { type: 'user' | 'api_client'; id: string },
    at: Date,
  ): Promise<void> {
    await manager.query(
      `UPDATE unit_cases SET status = 'acknowledged', acknowledged_at = $2,
              acknowledged_by_type = $3, acknowledged_by = $4, updated_at = $2, version = version + 1
        WHERE id = $1`,
      [id, at, actor.type, actor.id],
    );
  }

  async remediate(
    manager: EntityManager,
    id: string,
    remediation: Remediation,
    actor: { type: 'user' | 'api_client'; id: string },
    at: Date,
  ): Promise<void> {
    await manager.query(
      `UPDATE unit_cases SET status = 'remediated', remediation = $2, remediated_at = $3,
              remediated_by_type = $4, remediated_by = $5, updated_at = $3, version = version + 1
        WHERE id = $1`,
      [id, JSON.stringify(remediation), at, actor.type, actor.id],
    );
  }

  async close(manager: EntityManager, id: string, at: Date): Promise<void> {
    await manager.query(
      `UPDATE unit_cases SET status = 'closed', closed_at = $2, updated_at = $2, version = version + 1
        WHERE id = $1`,
      [id, at],
    );
  }

  async markReminded(manager: EntityManager, id: string, at: Date): Promise<void> {
    await manager.query(`UPDATE unit_cases SET reminded_at = $2 WHERE id = $1`, [id, at]);
  }

  async markEscalated(manager: EntityManager, id: string, at: Date): Promise<void> {
    await manager.query(`UPDATE unit_cases SET escalated_at = $2 WHERE id = $1`, [id, at]);
  }

  async appendHistory(
    manager: EntityManager,
    caseId: string,
    entry: Omit<HistoryRow, 'at'> & { at: Date },
  ): Promise<void> {
    await manager.query(
      `INSERT INTO unit_case_history (case_id, from_status, to_status, actor_type, actor_id, reason, at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        caseId,
        entry.fromStatus,
        entry.toStatus,
        entry.actorType,
        entry.actorId,
        entry.reason,
        entry.at,
      ],
    );
  }

  async history(caseId: string, limit: number): Promise<HistoryRow[]> {
    const rows = await this.dataSource.query<
      {
        from_status: CaseStatus | null;
        to_status: CaseStatus;
        actor_type: ActorKind;
        actor_id: string | null;
        reason: string | null;
        at: Date;
      }[]
    >(
      `SELECT from_status, to_status, actor_type, actor_id, reason, at FROM unit_case_history
        WHERE case_id = $1 ORDER BY id DESC LIMIT $2`,
      [caseId, limit],
    );
    return rows.map((r) => ({
      fromStatus: r.from_status,
      toStatus: r.to_status,
      actorType: r.actor_type,
      actorId: r.actor_id,
      reason: r.reason,
      at: r.at,
    }));
  }

  /** Newest first by (created_at, id), limit + 1 rows after `after`, with counts. */
  async list(filter: CaseFilter, after: Keyset | undefined, limit: number): Promise<CaseRow[]> {
    const params: unknown[] = [];
    const clauses: string[] = [];
    const add = (sql: (p: string) => string, value: unknown): void => {
      params.push(value);
      clauses.push(sql(`$${params.length}`));
    };
    if (filter.scopeUnitId !== undefined) add((p) => `c.unit_id = ${p}`, filter.scopeUnitId);
    if (filter.unitId !== undefined) add((p) => `c.unit_id = ${p}`, filter.unitId);
    if (filter.status !== undefined) add((p) => `c.status = ${p}`, filter.status);
    if (after) {
      params.push(after.createdAt, after.id);
      clauses.push(
        `(date_trunc('milliseconds', c.created_at), c.id) < ($${params.length - 1}, $${params.length})`,
      );
    }
    params.push(limit + 1);
    const rows = await this.dataSource.query<RawCase[]>(
      `SELECT ${CASE_COLUMNS}, ${COUNTS}
         FROM unit_cases c JOIN organizations o ON o.id = c.unit_id
        ${clauses.length ? `WHERE ${clauses.join(' AND ')}` : ''}
        ORDER BY date_trunc('milliseconds', c.created_at) DESC, c.id DESC
        LIMIT $${params.length}`,
      params,
    );
    return rows.map(toCase);
  }

  /** Most recently seen first by (last_seen, id), limit + 1 rows after `after`. */
  async connections(
    caseId: string,
    after: { lastSeen: string; id: string } | undefined,
    limit: number,
  ): Promise<ConnectionRow[]> {
    const params: unknown[] = [caseId];
    let keyset = 'true';
    if (after) {
      params.push(after.lastSeen, after.id);
      keyset = `(x.last_seen, x.id) < ($2::timestamptz, $3::bigint)`;
    }
    params.push(limit + 1);
    const rows = await this.dataSource.query<
      {
        id: string;
        last_seen_micros: string;
        address: string;
        c2_type: string;
        c2_value: string;
        indicator_id: string | null;
        count: string;
        first_seen: Date;
        last_seen: Date;
        last_reported_by: string | null;
      }[]
    >(
      `SELECT x.id, to_char(x.last_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS last_seen_micros,
              x.address::text AS address, x.c2_type, x.c2_value, x.indicator_id, x.count,
              x.first_seen, x.last_seen, x.last_reported_by
         FROM unit_connections x
        WHERE x.case_id = $1 AND ${keyset}
        ORDER BY x.last_seen DESC, x.id DESC
        LIMIT $${params.length}`,
      params,
    );
    return rows.map((r) => ({
      id: r.id,
      lastSeenMicros: r.last_seen_micros,
      address: r.address,
      c2Type: r.c2_type,
      c2Value: r.c2_value,
      indicatorId: r.indicator_id,
      count: Number(r.count),
      firstSeen: r.first_seen,
      lastSeen: r.last_seen,
      lastReportedBy: r.last_reported_by,
    }));
  }

  /** The case's distinct C2s, most recently seen first (for notices). */
  async c2s(
    manager: EntityManager,
    caseId: string,
    limit: number,
  ): Promise<{ type: string; value: string }[]> {
    return manager.query(
      `SELECT c2_type AS type, c2_value AS value FROM unit_connections WHERE case_id = $1
        GROUP BY c2_type, c2_value ORDER BY max(last_seen) DESC, c2_value LIMIT $2`,
      [caseId, limit],
    );
  }

  /** Distinct addresses and C2s of the case (in the transaction). */
  async counts(
    manager: EntityManager,
    caseId: string,
  ): Promise<{ addresses: number; c2s: number }> {
    const [row] = await manager.query<{ addresses: string; c2s: string }[]>(
      `SELECT count(DISTINCT address) AS addresses, count(DISTINCT (c2_type, c2_value)) AS c2s
         FROM unit_connections WHERE case_id = $1`,
      [caseId],
    );
    return { addresses: Number(row.addresses), c2s: Number(row.c2s) };
  }

  // --- the scheduler ------------------------------------------------------------------------

  /** Remediated cases quiet since `quietSince` (no connection seen, no remediation, after it). */
  dueToClose(quietSince: Date, exclude: string[], limit: number): Promise<string[]> {
    return this.ids(
      `status = 'remediated' AND remediated_at <= $1 AND last_seen <= $1`,
      [quietSince],
      exclude,
      'remediated_at',
      limit,
    );
  }

  /** Open or acknowledged cases due within [now, remindFrom→deadline], not yet reminded. */
  dueForReminder(now: Date, until: Date, exclude: string[], limit: number): Promise<string[]> {
    return this.ids(
      `status IN ('open', 'acknowledged') AND reminded_at IS NULL AND deadline_at > $1 AND deadline_at <= $2`,
      [now, until],
      exclude,
      'deadline_at',
      limit,
    );
  }

  /** Open or acknowledged cases past their deadline, not yet escalated. */
  dueForEscalation(now: Date, exclude: string[], limit: number): Promise<string[]> {
    return this.ids(
      `status IN ('open', 'acknowledged') AND escalated_at IS NULL AND deadline_at <= $1`,
      [now],
      exclude,
      'deadline_at',
      limit,
    );
  }

  private async ids(
    where: string,
    params: unknown[],
    exclude: string[],
    order: string,
    limit: number,
  ): Promise<string[]> {
    const rows = await this.dataSource.query<{ id: string }[]>(
      `SELECT id FROM unit_cases WHERE ${where} AND NOT (id = ANY($${params.length + 1}::uuid[]))
        ORDER BY ${order}, id LIMIT $${params.length + 2}`,
      [...params, exclude, limit],
    );
    return rows.map((r) => r.id);
  }

  // --- the published list -------------------------------------------------------------------

  /** Every active case with its unit, most infected addresses first; at most `limit`. */
  async published(limit: number, manager?: EntityManager): Promise<PublishedRow[]> {
    const rows = await this.q(manager).query<
      {
        case_id: string;
        unit_id: string;
        unit_name: string;
        unit_short_code: string;
        status: CaseStatus;
        addresses: string;
        c2s: string;
        first_seen: Date;
        last_seen: Date;
        deadline_at: Date;
      }[]
    >(
      `SELECT c.id AS case_id, c.unit_id, o.name AS unit_name, o.short_code AS unit_short_code,
              c.status, c.first_seen, c.last_seen, c.deadline_at,
              (SELECT count(DISTINCT x.address) FROM unit_connections x WHERE x.case_id = c.id) AS addresses,
              (SELECT count(DISTINCT (x.c2_type, x.c2_value)) FROM unit_connections x WHERE x.case_id = c.id) AS c2s
         FROM unit_cases c JOIN organizations o ON o.id = c.unit_id
        WHERE c.status <> 'closed'
        ORDER BY addresses DESC, o.name, c.id
        LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({
      caseId: r.case_id,
      unitId: r.unit_id,
      unitName: r.unit_name,
      unitShortCode: r.unit_short_code,
      status: r.status,
      addresses: Number(r.addresses),
      c2s: Number(r.c2s),
      firstSeen: r.first_seen,
      lastSeen: r.last_seen,
      deadlineAt: r.deadline_at,
    }));
  }
}
