import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AuditEventColumns } from '#src/audit/trail/event-columns.js';

/**
 * Position after the last row of a page: rows are ordered by (at DESC, id DESC). `at` is kept
 * as PostgreSQL's text at microsecond precision, so the comparison is exact and uses the index.
 */
export interface AuditKeyset {
  at: string;
  id: string;
}

export interface AuditFilter {
  from?: Date;
  to?: Date;
  actorId?: string;
  organizationId?: string;
  objectType?: string;
  objectId?: string;
  /** Exact, or a prefix when it ends with a dot. */
  action?: string;
}

export interface AuditRow {
  id: string;
  seq: number;
  hash: string;
  at: Date;
  atText: string;
  actorType: 'user' | 'api_client' | 'system';
  actorId: string | null;
  organizationId: string | null;
  roles: string[];
  action: string;
  objectType: string;
  objectId: string | null;
  summary: Record<string, unknown>;
  requestId: string | null;
  clientIp: string | null;
}

interface RawAuditRow extends AuditEventColumns {
  id: string;
  seq: string;
  hash: Buffer;
  at: Date;
  at_text: string;
}

/** Reads audit_events; the writer is AuditService, which this never touches. */
@Injectable()
export class AuditSearchRepository {
  constructor(private readonly dataSource: DataSource) {}

  async search(filter: AuditFilter, after: AuditKeyset | undefined, limit: number) {
    const params: unknown[] = [];
    const where: string[] = [];
    const add = (sql: (p: string) => string, value: unknown) => {
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    if (filter.from) add((p) => `e.at >= ${p}`, filter.from);
    if (filter.to) add((p) => `e.at < ${p}`, filter.to);
    if (filter.actorId) add((p) => `e.actor_id = ${p}`, filter.actorId);
    if (filter.organizationId) add((p) => `e.organization_id = ${p}`, filter.organizationId);
    if (filter.objectType) add((p) => `e.object_type = ${p}`, filter.objectType);
    if (filter.objectId) add((p) => `e.object_id = ${p}`, filter.objectId);
    if (filter.action?.endsWith('.')) {
      // A prefix: LIKE with `_` (a wildcard) escaped; the action pattern allows no % or \.
      add((p) => `e.action LIKE ${p}`, `${filter.action.replaceAll('_', '\\_')}%`);
    } else if (filter.action) {
      add((p) => `e.action = ${p}`, filter.action);
    }
    if (after) {
      params.push(after.at, after.id);
      where.push(`(e.at, e.id) < ($${params.length - 1}::timestamptz, $${params.length}::bigint)`);
    }
    params.push(limit + 1);
    const rows = await this.dataSource.query<RawAuditRow[]>(
      `SELECT e.id::text AS id, e.seq::text AS seq, e.hash, e.at,
              to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at_text,
              e.actor_type, e.actor_id, e.organization_id, e.roles, e.action, e.object_type,
              e.object_id, e.summary, e.request_id, e.client_ip
         FROM audit_events e
        WHERE ${where.length ? where.join(' AND ') : 'true'}
        ORDER BY e.at DESC, e.id DESC
        LIMIT $${params.length}`,
      params,
    );
    return rows.map((r): AuditRow => ({
      id: r.id,
      seq: Number(r.seq),
      hash: r.hash.toString('hex'),
      at: r.at,
      atText: r.at_text,
      actorType: r.actor_type,
      actorId: r.actor_id,
      organizationId: r.organization_id,
      roles: r.roles,
      action: r.action,
      objectType: r.object_type,
      objectId: r.object_id,
      summary: r.summary,
      requestId: r.request_id,
      clientIp: r.client_ip,
    }));
  }
}
