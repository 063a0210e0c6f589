import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { readFeedVersion } from '#src/feeds/change-log/feed-version.js';

export interface ChangeRow {
  version: string;
  op: 'add' | 'remove';
  reason: string;
  request_id: string | null;
  document_number: string | null;
  indicator_id: string;
  type: string;
  value: string;
  created_at: Date;
}

export interface StatusRow {
  organization_id: string;
  short_code: string;
  name: string;
  last_pull_at: Date | null;
  last_format: string | null;
  held_version: string | null;
  pending_changes: number;
}

/**
 * How many of an ISP's changes are above the version it holds ("changes still lacking"), as a
 * scalar SQL subquery over two SQL expressions: the organization id and the version held (null:
 * nothing held yet). One definition for the feed status and the compliance report.
 */
export function pendingChangesSql(organizationId: string, heldVersion: string): string {
  return `(SELECT count(*)::int FROM feed_changes c
            WHERE c.organization_id = ${organizationId} AND c.version > coalesce(${heldVersion}, 0))`;
}

@Injectable()
export class FeedRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The committed version: every change at or below it is committed (decision 0005). */
  async watermark(): Promise<number> {
    return readFeedVersion(this.dataSource);
  }

  /** An ISP's changes in (after, upTo], in version order, at most `limit` (+1 to tell more). */
  changes(
    organizationId: string,
    after: number,
    upTo: number,
    limit: number,
  ): Promise<ChangeRow[]> {
    return this.dataSource.query<ChangeRow[]>(
      `SELECT c.version, c.op, c.reason, c.request_id, r.document_number, c.indicator_id,
              i.type, i.value, c.created_at
         FROM feed_changes c
         JOIN indicators i ON i.id = c.indicator_id
         LEFT JOIN blocking_requests r ON r.id = c.request_id
        WHERE c.organization_id = $1 AND c.version > $2 AND c.version <= $3
        ORDER BY c.version
        LIMIT $4`,
      [organizationId, after, upTo, limit + 1],
    );
  }

  /** Per ISP: its last pull, the version it was last given, and how many changes it lacks. */
  status(): Promise<StatusRow[]> {
    return this.dataSource.query<StatusRow[]>(
      `SELECT o.id AS organization_id, o.short_code, o.name,
              p.at AS last_pull_at, p.format AS last_format, p.to_version AS held_version,
              ${pendingChangesSql('o.id', 'p.to_version')} AS pending_changes
         FROM organizations o
         LEFT JOIN LATERAL (
           SELECT at, format, to_version FROM feed_pulls
            WHERE organization_id = o.id ORDER BY at DESC LIMIT 1) p ON true
        WHERE o.kind = 'isp'
        ORDER BY o.short_code`,
    );
  }
}
