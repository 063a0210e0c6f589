import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { keysetOrderSql, keysetSql, type Keyset } from '#src/platform/pagination/index.js';
import type {
  IncidentCategory,
  IncidentEventKind,
  IncidentSeverity,
  IncidentStatus,
} from '#src/response/incidents/dto/incident.dto.js';

export type ReporterType = 'user' | 'api_client' | 'email';
export type EventActorType = ReporterType | 'system';

export interface IncidentRow extends Keyset {
  id: string;
  reference: string;
  reporterOrganizationId: string;
  reporterType: ReporterType;
  reporterId: string | null;
  reporterEmail: string | null;
  source: 'api' | 'email';
  category: IncidentCategory;
  severity: IncidentSeverity;
  title: string;
  affectedSystems: string | null;
  description: string;
  indicators: { type: string; value: string }[];
  occurredAt: Date | null;
  status: IncidentStatus;
  assigneeId: string | null;
  caseId: string | null;
  requestId: string | null;
  dueAt: Date;
  remindedAt: Date | null;
  escalatedAt: Date | null;
  resolution: string | null;
  resolvedAt: Date | null;
  updatedAt: Date;
  version: number;
}

export interface NewIncident {
  reporterOrganizationId: string;
  reporterType: ReporterType;
  reporterId: string | null;
  reporterEmail: string | null;
  source: 'api' | 'email';
  category: IncidentCategory;
  severity: IncidentSeverity;
  title: string;
  affectedSystems: string | null;
  description: string;
  indicators: { type: string; value: string }[];
  occurredAt: Date | null;
  dueAt: Date;
  createdAt: Date;
}

export interface IncidentFilter {
  /** Set: only reports of this organization. */
  organizationId?: string;
  status?: IncidentStatus;
  severity?: IncidentSeverity;
  category?: IncidentCategory;
  assigneeId?: string;
}

export interface EventRow {
  id: string;
  kind: IncidentEventKind;
  actorType: EventActorType;
  actorId: string | null;
  organizationId: string | null;
  body: string | null;
  createdAt: Date;
}

export interface NewEvent {
  kind: IncidentEventKind;
  actorType: EventActorType;
  actorId: string | null;
  organizationId: string | null;
  body: string | null;
  at: Date;
}

export interface AttachmentRow {
  id: string;
  incidentId: string;
  filename: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
  uploadedByType: ReporterType;
  uploadedById: string | null;
  createdAt: Date;
}

export interface NewAttachment {
  filename: string;
  contentType: string;
  sha256: string;
  content: Buffer;
  uploadedByType: ReporterType;
  uploadedById: string | null;
  at: Date;
}

/** What the scheduler claims: an open incident whose reminder or overdue notice is due. */
export interface ClaimedIncident {
  id: string;
  reference: string;
  title: string;
  severity: IncidentSeverity;
  status: IncidentStatus;
  reporterOrganizationId: string;
  assigneeId: string | null;
  dueAt: Date;
}

const COLUMNS = `i.id, i.reference, i.reporter_organization_id, i.reporter_type, i.reporter_id,
  i.reporter_email, i.source, i.category, i.severity, i.title, i.affected_systems, i.description,
  i.indicators, i.occurred_at, i.status, i.assignee_id, i.case_id, i.request_id, i.due_at,
  i.reminded_at, i.escalated_at, i.resolution, i.resolved_at, i.created_at, i.updated_at, i.version`;

interface RawIncident {
  id: string;
  reference: string;
  reporter_organization_id: string;
  reporter_type: ReporterType;
  reporter_id: string | null;
  reporter_email: string | null;
  source: 'api' | 'email';
  category: IncidentCategory;
  severity: IncidentSeverity;
  title: string;
  affected_systems: string | null;
  description: string;
  indicators: { type: string; value: string }[];
  occurred_at: Date | null;
  status: IncidentStatus;
  assignee_id: string | null;
  case_id: string | null;
  request_id: string | null;
  due_at: Date;
  reminded_at: Date | null;
  escalated_at: Date | null;
  resolution: string | null;
  resolved_at: Date | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}

function toRow(r: RawIncident): IncidentRow {
  return {
    id: r.id,
    reference: r.reference,
    reporterOrganizationId: r.reporter_organization_id,
    reporterType: r.reporter_type,
    reporterId: r.reporter_id,
    reporterEmail: r.reporter_email,
    source: r.source,
    category: r.category,
    severity: r.severity,
    title: r.title,
    affectedSystems: r.affected_systems,
    description: r.description,
    indicators: r.indicators,
    occurredAt: r.occurred_at,
    status: r.status,
    assigneeId: r.assignee_id,
    caseId: r.case_id,
    requestId: r.request_id,
    dueAt: r.due_at,
    remindedAt: r.reminded_at,
    escalatedAt: r.escalated_at,
    resolution: r.resolution,
    resolvedAt: r.resolved_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    version: r.version,
  };
}

/** The changes a triage action may make to a report (the version is bumped with them). */
export interface IncidentChanges {
  status?: IncidentStatus;
  assigneeId?: string;
  caseId?: string;
  requestId?: string;
  resolution?: string;
  resolvedAt?: Date | null;
}

const CHANGE_COLUMNS: Record<keyof IncidentChanges, string> = {
  status: 'status',
  assigneeId: 'assignee_id',
  caseId: 'case_id',
  requestId: 'request_id',
  resolution: 'resolution',
  resolvedAt: 'resolved_at',
};

/** `incidents`, `incident_events`, `incident_attachments` (no entities: SQL only). */
@Injectable()
export class IncidentsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Inserts a report with the next reference of the clock's year (`INC-2026-000042`). */
  async insert(manager: EntityManager, n: NewIncident): Promise<IncidentRow> {
    const rows = await manager.query<RawIncident[]>(
      `INSERT INTO incidents AS i
         (reference, reporter_organization_id, reporter_type, reporter_id, reporter_email, source,
          category, severity, title, affected_systems, description, indicators, occurred_at,
          due_at, created_at, updated_at)
       VALUES ('INC-' || to_char($14::timestamptz AT TIME ZONE 'UTC', 'YYYY') || '-' ||
                 lpad(nextval('incident_reference_seq')::text, 6, '0'),
               $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13, $14, $14)
       RETURNING ${COLUMNS}`,
      [
        n.reporterOrganizationId,
        n.reporterType,
        n.reporterId,
        n.reporterEmail,
        n.source,
        n.category,
        n.severity,
        n.title,
        n.affectedSystems,
        n.description,
        JSON.stringify(n.indicators),
        n.occurredAt,
        n.dueAt,
        n.createdAt,
      ],
    );
    return toRow(rows[0]);
  }

  async findById(id: string, manager?: EntityManager): Promise<IncidentRow | null> {
    const rows = await (manager ?? this.dataSource).query<RawIncident[]>(
      `SELECT ${COLUMNS} FROM incidents i WHERE i.id = $1`,
      [id],
    );
    return rows[0] ? toRow(rows[0]) : null;
  }

  /** The report, locked until the end of the transaction. */
  async lockById(manager: EntityManager, id: string): Promise<IncidentRow | null> {
    const rows = await manager.query<RawIncident[]>(
      `SELECT ${COLUMNS} FROM incidents i WHERE i.id = $1 FOR NO KEY UPDATE`,
      [id],
    );
    return rows[0] ? toRow(rows[0]) : null;
  }

  /** Applies the changes if the row still has `version`, bumping it; false otherwise. */
  async updateIfVersion(
    manager: EntityManager,
    id: string,
    version: number,
    changes: IncidentChanges,
    at: Date,
  ): Promise<boolean> {
    const params: unknown[] = [id, version, at];
    const sets = ['version = version + 1', 'updated_at = $3'];
    for (const [key, value] of Object.entries(changes) as [keyof IncidentChanges, unknown][]) {
      if (value === undefined) continue;
      params.push(value);
      sets.push(`${CHANGE_COLUMNS[key]} = $${params.length}`);
    }
    const [, affected] = await manager.query<[unknown, number]>(
      `UPDATE incidents SET ${sets.join(', ')} WHERE id = $1 AND version = $2`,
      params,
    );
    return affected === 1;
  }

  /** Newest first by (created_at, id), limit + 1 rows after `after`. */
  async list(
    filter: IncidentFilter,
    after: Keyset | undefined,
    limit: number,
  ): Promise<IncidentRow[]> {
    const params: unknown[] = [];
    const clauses: string[] = [];
    const add = (sql: (p: string) => string, value: unknown): void => {
      params.push(value);
      clauses.push(sql(`$${params.length}`));
    };
    if (filter.organizationId !== undefined)
      add((p) => `i.reporter_organization_id = ${p}`, filter.organizationId);
    if (filter.status !== undefined) add((p) => `i.status = ${p}`, filter.status);
    if (filter.severity !== undefined) add((p) => `i.severity = ${p}`, filter.severity);
    if (filter.category !== undefined) add((p) => `i.category = ${p}`, filter.category);
    if (filter.assigneeId !== undefined) add((p) => `i.assignee_id = ${p}`, filter.assigneeId);
    if (after) clauses.push(keysetSql('i', after, params));
    params.push(limit + 1);
    const rows = await this.dataSource.query<RawIncident[]>(
      `SELECT ${COLUMNS} FROM incidents i
        ${clauses.length ? `WHERE ${clauses.join(' AND ')}` : ''}
        ORDER BY ${keysetOrderSql('i')}
        LIMIT $${params.length}`,
      params,
    );
    return rows.map(toRow);
  }

  async addEvent(manager: EntityManager, incidentId: string, e: NewEvent): Promise<void> {
    await manager.query(
      `INSERT INTO incident_events (incident_id, kind, actor_type, actor_id, organization_id, body, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [incidentId, e.kind, e.actorType, e.actorId, e.organizationId, e.body, e.at],
    );
  }

  /** The report's events, oldest first (at most `limit`). */
  async events(incidentId: string, limit: number): Promise<EventRow[]> {
    const rows = await this.dataSource.query<
      {
        id: string;
        kind: IncidentEventKind;
        actor_type: EventActorType;
        actor_id: string | null;
        organization_id: string | null;
        body: string | null;
        created_at: Date;
      }[]
    >(
      `SELECT id, kind, actor_type, actor_id, organization_id, body, created_at
         FROM incident_events WHERE incident_id = $1 ORDER BY seq LIMIT $2`,
      [incidentId, limit],
    );
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      actorType: r.actor_type,
      actorId: r.actor_id,
      organizationId: r.organization_id,
      body: r.body,
      createdAt: r.created_at,
    }));
  }

  async countAttachments(manager: EntityManager, incidentId: string): Promise<number> {
    const rows = await manager.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM incident_attachments WHERE incident_id = $1`,
      [incidentId],
    );
    return rows[0].n;
  }

  async addAttachment(
    manager: EntityManager,
    incidentId: string,
    a: NewAttachment,
  ): Promise<AttachmentRow> {
    const rows = await manager.query<RawAttachment[]>(
      `INSERT INTO incident_attachments
         (incident_id, filename, content_type, size_bytes, sha256, content, uploaded_by_type,
          uploaded_by_id, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       RETURNING ${ATTACHMENT_COLUMNS}`,
      [
        incidentId,
        a.filename,
        a.contentType,
        a.content.length,
        a.sha256,
        a.content,
        a.uploadedByType,
        a.uploadedById,
        a.at,
      ],
    );
    return toAttachment(rows[0]);
  }

  async attachments(incidentId: string): Promise<AttachmentRow[]> {
    const rows = await this.dataSource.query<RawAttachment[]>(
      `SELECT ${ATTACHMENT_COLUMNS} FROM incident_attachments
        WHERE incident_id = $1 ORDER BY created_at, id`,
      [incidentId],
    );
    return rows.map(toAttachment);
  }

  async attachmentContent(
    incidentId: string,
    attachmentId: string,
  ): Promise<(AttachmentRow & { content: Buffer }) | null> {
    const rows = await this.dataSource.query<(RawAttachment & { content: Buffer })[]>(
      `SELECT ${ATTACHMENT_COLUMNS}, content FROM incident_attachments
        WHERE incident_id = $1 AND id = $2`,
      [incidentId, attachmentId],
    );
    return rows[0] ? { ...toAttachment(rows[0]), content: rows[0].content } : null;
  }

  /** Whether `userId` is an enabled responder of a Department organization. */
  async isDepartmentResponder(manager: EntityManager, userId: string): Promise<boolean> {
    const rows = await manager.query<unknown[]>(
      `SELECT 1 FROM users u JOIN organizations o ON o.id = u.organization_id
        WHERE u.id = $1 AND o.kind = 'department' AND NOT u.disabled AND 'responder' = ANY(u.roles)`,
      [userId],
    );
    return rows.length > 0;
  }

  /** An enabled user's e-mail address, or null. */
  async userEmail(manager: EntityManager, userId: string): Promise<string | null> {
    const rows = await manager.query<{ email: string }[]>(
      `SELECT lower(email) AS email FROM users WHERE id = $1 AND NOT disabled`,
      [userId],
    );
    return rows[0]?.email ?? null;
  }

  /** The Department organizations (kind `department`), oldest first, at most `limit`. */
  async departmentIds(manager: EntityManager, limit: number): Promise<string[]> {
    const rows = await manager.query<{ id: string }[]>(
      `SELECT id FROM organizations WHERE kind = 'department' ORDER BY created_at, id LIMIT $1`,
      [limit],
    );
    return rows.map((r) => r.id);
  }

  /**
   * One open report (neither resolved nor closed) not yet reminded whose due time is within
   * `beforeMinutes` and not passed, skipping `excluded` and rows locked elsewhere: marked
   * reminded (in the caller's transaction) and returned; null when none is left.
   */
  claimReminder(
    manager: EntityManager,
    now: Date,
    beforeMinutes: number,
    excluded: readonly string[],
  ): Promise<ClaimedIncident | null> {
    return this.claim(
      manager,
      'reminded_at',
      `i.due_at > $1 AND i.due_at <= $1::timestamptz + make_interval(mins => $3::int)`,
      [now, [...excluded], beforeMinutes],
    );
  }

  /** One open report past its due time without an overdue notice: marked and returned. */
  claimOverdue(
    manager: EntityManager,
    now: Date,
    excluded: readonly string[],
  ): Promise<ClaimedIncident | null> {
    return this.claim(manager, 'escalated_at', `i.due_at <= $1`, [now, [...excluded]]);
  }

  private async claim(
    manager: EntityManager,
    mark: 'reminded_at' | 'escalated_at',
    due: string,
    params: unknown[],
  ): Promise<ClaimedIncident | null> {
    const [rows] = await manager.query<
      [
        {
          id: string;
          reference: string;
          title: string;
          severity: IncidentSeverity;
          status: IncidentStatus;
          reporter_organization_id: string;
          assignee_id: string | null;
          due_at: Date;
        }[],
        number,
      ]
    >(
      `WITH due AS (
         SELECT i.id FROM incidents i
          WHERE i.status NOT IN ('resolved', 'closed') AND i.${mark} IS NULL AND ${due}
            AND NOT (i.id = ANY($2::uuid[]))
          ORDER BY i.due_at, i.id LIMIT 1
          FOR UPDATE SKIP LOCKED)
       UPDATE incidents i SET ${mark} = $1 FROM due WHERE i.id = due.id
       RETURNING i.id, i.reference, i.title, i.severity, i.status, i.reporter_organization_id,
                 i.assignee_id, i.due_at`,
      params,
    );
    const r = rows[0];
    return r === undefined
      ? null
      : {
          id: r.id,
          reference: r.reference,
          title: r.title,
          severity: r.severity,
          status: r.status,
          reporterOrganizationId: r.reporter_organization_id,
          assigneeId: r.assignee_id,
          dueAt: r.due_at,
        };
  }
}

const ATTACHMENT_COLUMNS = `id, incident_id, filename, content_type, size_bytes, sha256,
  uploaded_by_type, uploaded_by_id, created_at`;

interface RawAttachment {
  id: string;
  incident_id: string;
  filename: string;
  content_type: string;
  size_bytes: number;
  sha256: string;
  uploaded_by_type: ReporterType;
  uploaded_by_id: string | null;
  created_at: Date;
}

function toAttachment(r: RawAttachment): AttachmentRow {
  return {
    id: r.id,
    incidentId: r.incident_id,
    filename: r.filename,
    contentType: r.content_type,
    sizeBytes: r.size_bytes,
    sha256: r.sha256,
    uploadedByType: r.uploaded_by_type,
    uploadedById: r.uploaded_by_id,
    createdAt: r.created_at,
  };
}
