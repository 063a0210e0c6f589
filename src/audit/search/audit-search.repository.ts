import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { auditEventSelect, type AuditEventRow } from '#src/audit/trail/event-columns.js';

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

/** Reads audit_events; the writer is AuditService, which this never touches. */
@Injectable()
export class AuditSearchRepository {
  constructor(private readonly dataSource: DataSource) {}

  async search(
    filter: AuditFilter,
    after: AuditKeyset | undefined,
    limit: number,
  ): Promise<AuditEventRow[]> {
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
    return this.dataSource.query<AuditEventRow[]>(
      `SELECT ${auditEventSelect('e')}
         FROM audit_events e
        WHERE ${where.length ? where.join(' AND ') : 'true'}
        ORDER BY e.at DESC, e.id DESC
        LIMIT $${params.length}`,
      params,
    );
  }
}
