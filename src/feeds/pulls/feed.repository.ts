import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { readFeedVersion } from '#src/feeds/change-log/feed-version.js';
import type { RpzAction } from '#src/feeds/feed-vocabulary.js';
import type { TenantScope } from '#src/identity/index.js';

/** An organization waiting for its feed to change, checked up to `after`. */
export interface WaitingFeed {
  organizationId: string;
  after: number;
}

export interface ChangeRow {
  version: string;
  op: 'add' | 'remove';
  reason: string;
  request_id: string | null;
  document_number: string | null;
  dns_action: RpzAction | null;
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
  // Counted per audience of the ISP, each an index range (decision 0021).
  return `(SELECT coalesce(sum(x.n), 0)::int
             FROM feed_audience_members m
             CROSS JOIN LATERAL (
               SELECT count(*) AS n FROM feed_log l
                WHERE l.audience_id = m.audience_id
                  AND l.version > coalesce(${heldVersion}, 0)) x
            WHERE m.organization_id = ${organizationId})`;
}

/**
 * The last version of an ISP's feed (null: it has no change yet), as a scalar SQL subquery over
 * the organization id expression: the newest row of each of its audiences, by index.
 */
export function lastChangeVersionSql(organizationId: string): string {
  return `(SELECT max(x.version)
             FROM feed_audience_members m
             CROSS JOIN LATERAL (
               SELECT l.version FROM feed_log l WHERE l.audience_id = m.audience_id
                ORDER BY l.version DESC LIMIT 1) x
            WHERE m.organization_id = ${organizationId})`;
}

@Injectable()
export class FeedRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The committed version: every change at or below it is committed (decision 0005). */
  async watermark(): Promise<number> {
    return readFeedVersion(this.dataSource);
  }

  /**
   * An ISP's changes in (after, upTo], in version order, at most `limit` (+1 to tell more). Each
   * of the ISP's audiences is read in version order up to the limit, and the few lists merged:
   * a page costs the same whether the ISP shares its changes with one ISP or with sixty.
   */
  changes(
    organizationId: string,
    after: number,
    upTo: number,
    limit: number,
  ): Promise<ChangeRow[]> {
    return this.dataSource.query<ChangeRow[]>(
      `SELECT c.version, c.op, c.reason, c.request_id, r.document_number,
              CASE WHEN c.op = 'add' THEN r.dns_action END AS dns_action, c.indicator_id,
              i.type, i.value, c.created_at
         FROM (SELECT l.* FROM feed_audience_members m
                 CROSS JOIN LATERAL (
                   SELECT * FROM feed_log l
                    WHERE l.audience_id = m.audience_id AND l.version > $2 AND l.version <= $3
                    ORDER BY l.version LIMIT $4) l
                WHERE m.organization_id = $1
                ORDER BY l.version LIMIT $4) c
         JOIN indicators i ON i.id = c.indicator_id
         LEFT JOIN blocking_requests r ON r.id = c.request_id
        ORDER BY c.version`,
      [organizationId, after, upTo, limit + 1],
    );
  }

  /**
   * Which of `waiting` have a change in (after, upTo]: the indexes into `waiting`. One
   * statement for every waiting organization (the long poll's only query while it holds);
   * served by the (audience_id, version) index of each of its audiences. The one place that knows whose feed a
   * change is in, for this question.
   */
  async feedsChanged(waiting: readonly WaitingFeed[], upTo: number): Promise<number[]> {
    if (waiting.length === 0) return [];
    const rows = await this.dataSource.query<{ i: number }[]>(
      `SELECT (w.i - 1)::int AS i
         FROM unnest($1::uuid[], $2::bigint[]) WITH ORDINALITY AS w(organization_id, after, i)
        WHERE EXISTS (SELECT 1 FROM feed_audience_members m
                       WHERE m.organization_id = w.organization_id
                         AND EXISTS (SELECT 1 FROM feed_log l
                                      WHERE l.audience_id = m.audience_id
                                        AND l.version > w.after AND l.version <= $3))`,
      [waiting.map((w) => w.organizationId), waiting.map((w) => w.after), upTo],
    );
    return rows.map((r) => r.i);
  }

  /**
   * Per ISP: its last pull, the version it was last given, and how many changes it lacks; every
   * ISP's row, or only the scope's organization's (an ISP sees only itself).
   */
  status(scope: TenantScope): Promise<StatusRow[]> {
    const own = scope.organizationId !== undefined;
    return this.dataSource.query<StatusRow[]>(
      `SELECT o.id AS organization_id, o.short_code, o.name,
              p.at AS last_pull_at, p.format AS last_format, p.to_version AS held_version,
              ${pendingChangesSql('o.id', 'p.to_version')} AS pending_changes
         FROM organizations o
         LEFT JOIN LATERAL (
           SELECT at, format, to_version FROM feed_pulls
            WHERE organization_id = o.id ORDER BY at DESC LIMIT 1) p ON true
        WHERE o.kind = 'isp'${own ? ' AND o.id = $1' : ''}
        ORDER BY o.short_code`,
      own ? [scope.organizationId] : [],
    );
  }
}
