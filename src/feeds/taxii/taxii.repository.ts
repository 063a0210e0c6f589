import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { COMMITTED_FEED_VERSION_SQL } from '#src/feeds/change-log/feed-version.js';
import { sqlTimestampUs, stixIndicatorSql } from '#src/feeds/snapshots/stix.js';
import type { TaxiiFilter } from '#src/feeds/taxii/taxii-filter.js';

/** One version of an indicator object in an ISP's collection (one feed change). */
export interface EntryRow {
  /** The feed version of the change: the position `next` continues after. */
  seq: string;
  id: string;
  date_added: string;
  /** The object's JSON text (absent when only the manifest is asked for). */
  object?: string;
}

export interface CollectionRow {
  id: string;
  name: string;
}

/**
 * TAXII reads of the feed change log: each change is a version of a STIX indicator object
 * (an add is its first version; a removal its revoked last one), ordered by version, which is
 * also date_added order (decision 0007). Reads stop at the committed version.
 */
@Injectable()
export class TaxiiRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The ISP organization whose collection the caller may read. */
  async collection(organizationId: string): Promise<CollectionRow | undefined> {
    const [row] = await this.dataSource.query<CollectionRow[]>(
      `SELECT id, name FROM organizations WHERE id = $1 AND kind = 'isp'`,
      [organizationId],
    );
    return row;
  }

  /**
   * The entries of `organizationId`'s collection after `cursor` that the filter keeps, in
   * order, at most `limit` (the caller asks one more to tell `more`).
   */
  entries(
    organizationId: string,
    filter: TaxiiFilter,
    limit: number,
    options: { identityId: string; withObjects: boolean },
  ): Promise<EntryRow[]> {
    const params: unknown[] = [organizationId, Math.max(filter.cursor ?? 0, 0), limit];
    const where: string[] = [];
    if (filter.addedAfter !== undefined) {
      params.push(filter.addedAfter);
      const p = `$${params.length}::timestamptz`;
      // Times increase with versions, so added_after is a version bound (an index lookup).
      where.push(`c.added_at > ${p}`);
      where.push(
        `c.version > coalesce((SELECT max(version) FROM feed_log WHERE added_at <= ${p}), 0)`,
      );
    }
    if (filter.ids !== undefined) {
      params.push(filter.ids);
      where.push(`c.stix_id = ANY($${params.length}::uuid[])`);
    }
    const { all, first, last, at } = filter.versions;
    if (!all) {
      const any: string[] = [];
      if (first) any.push(`c.op = 'add'`);
      if (last) {
        any.push(`NOT EXISTS (SELECT 1 FROM feed_changes l
                               WHERE l.organization_id = $1 AND l.stix_id = c.stix_id
                                 AND l.version > c.version AND l.version <= w.last)`);
      }
      if (at.length > 0) {
        params.push(at);
        any.push(`c.added_at = ANY($${params.length}::timestamptz[])`);
      }
      where.push(any.length > 0 ? `(${any.join(' OR ')})` : 'false');
    }
    const object = options.withObjects
      ? `, ${stixIndicatorSql({
          stixId: 'c.stix_id',
          modified: 'c.added_at',
          revoked: `c.op = 'remove'`,
          identityId: options.identityId,
        })} AS object`
      : '';
    return this.dataSource.query<EntryRow[]>(
      `SELECT c.version::text AS seq, 'indicator--' || c.stix_id AS id,
              ${sqlTimestampUs('c.added_at')} AS date_added ${object}
         FROM (SELECT c.* FROM feed_audience_members m
                 CROSS JOIN ${COMMITTED_FEED_VERSION_SQL} w
                 CROSS JOIN LATERAL (
                   SELECT * FROM feed_log c
                    WHERE c.audience_id = m.audience_id AND c.version > $2 AND c.version <= w.last
                      ${where.map((w) => `AND ${w}`).join(' ')}
                    ORDER BY c.version LIMIT $3) c
                WHERE m.organization_id = $1
                ORDER BY c.version LIMIT $3) c
         JOIN indicators i ON i.id = c.indicator_id
        ORDER BY c.version`,
      params,
    );
  }

  /** Whether the collection holds any version of the indicator object `stixId`. */
  async exists(organizationId: string, stixId: string): Promise<boolean> {
    const rows = await this.dataSource.query<unknown[]>(
      `SELECT 1 FROM feed_changes
        WHERE organization_id = $1 AND stix_id = $2
          AND version <= ${COMMITTED_FEED_VERSION_SQL} LIMIT 1`,
      [organizationId, stixId],
    );
    return rows.length > 0;
  }
}
