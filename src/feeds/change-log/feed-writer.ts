import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { FEED_TYPES, sqlList, type ChangeReason } from '#src/feeds/feed-vocabulary.js';
import {
  advanceFeedVersion,
  FEED_VERSION_TIME_SQL,
  lockFeedVersion,
  notifyFeedVersion,
  readFeedVersion,
} from '#src/feeds/change-log/feed-version.js';

/** Why entries leave a feed other than by an unblock item. */
export type RemovalReason = Exclude<ChangeReason, 'block' | 'unblock'>;

/** Types that go into network feeds; hashes are stored but never published to ISPs. */
const FEED_TYPES_SQL = sqlList(FEED_TYPES);

export interface FeedWriteResult {
  /** Versions written: (fromVersion, toVersion]; equal when nothing changed. */
  fromVersion: number;
  toVersion: number;
  added: number;
  removed: number;
}

/** The version an ISP's feed reached with a publication. */
export interface PublishedTo {
  organizationId: string;
  /**
   * The last version of the publication's changes in this ISP's feed, or the version before the
   * publication when its feed needed no change (decision 0008).
   */
  version: number;
}

export interface PublishResult extends FeedWriteResult {
  /** One entry per ISP the request was published to, in the order given. */
  publishedTo: PublishedTo[];
}

/**
 * The only writer of the feed: the change log (`feed_changes`), each ISP's active set
 * (`feed_active`) and why each entry is active (`feed_claims`, one row per published block
 * item in force). Every method runs inside the caller's transaction and starts by locking the
 * version counter, so feed writers are serialized: versions are dense and commit in order
 * (docs/decisions/0005-feed-changes-and-versions.md). An indicator is active for an ISP while at least one
 * claim holds it; the change log records each transition once.
 */
@Injectable()
export class FeedWriter {
  /** Publication of a request to `organizationIds` (already resolved from its targets). */
  async publish(
    manager: EntityManager,
    requestId: string,
    organizationIds: string[],
  ): Promise<PublishResult> {
    await this.begin(manager);
    // Unblock items end every claim on the indicator for these ISPs, then remove what was active.
    await manager.query(
      `INSERT INTO pg_temp.feed_delta (organization_id, indicator_id, op, reason, request_id)
       SELECT a.organization_id, a.indicator_id, 'remove', 'unblock', $1
         FROM blocking_request_items i
         JOIN feed_active a ON a.indicator_id = i.indicator_id AND a.organization_id = ANY($2::uuid[])
        WHERE i.request_id = $1 AND i.operation = 'unblock'`,
      [requestId, organizationIds],
    );
    await manager.query(
      `DELETE FROM feed_claims c USING blocking_request_items i
        WHERE i.request_id = $1 AND i.operation = 'unblock'
          AND c.indicator_id = i.indicator_id AND c.organization_id = ANY($2::uuid[])`,
      [requestId, organizationIds],
    );
    // Block items of active network indicators claim them for each ISP; those not active in
    // an ISP's set yet are added. (Statuses are read here, under the version lock, so that a
    // revocation or expiry that committed first is seen.)
    await manager.query(
      `INSERT INTO feed_claims (indicator_id, organization_id, request_id)
       SELECT i.indicator_id, o.id, $1
         FROM blocking_request_items i
         JOIN indicators n ON n.id = i.indicator_id
              AND n.status = 'active' AND n.type IN ${FEED_TYPES_SQL}
         CROSS JOIN unnest($2::uuid[]) AS o(id)
        WHERE i.request_id = $1 AND i.operation = 'block'
       ON CONFLICT DO NOTHING`,
      [requestId, organizationIds],
    );
    await manager.query(
      `INSERT INTO pg_temp.feed_delta (organization_id, indicator_id, op, reason, request_id)
       SELECT o.id, i.indicator_id, 'add', 'block', $1
         FROM blocking_request_items i
         JOIN indicators n ON n.id = i.indicator_id
              AND n.status = 'active' AND n.type IN ${FEED_TYPES_SQL}
         CROSS JOIN unnest($2::uuid[]) AS o(id)
        WHERE i.request_id = $1 AND i.operation = 'block'
          AND NOT EXISTS (SELECT 1 FROM feed_active a
                           WHERE a.organization_id = o.id AND a.indicator_id = i.indicator_id)`,
      [requestId, organizationIds],
    );
    const result = await this.commitDelta(manager);
    // Every change in (fromVersion, toVersion] is this publication's (the lock is held).
    const reached = new Map<string, number>();
    if (result.toVersion > result.fromVersion) {
      const rows = await manager.query<{ organization_id: string; version: string }[]>(
        `SELECT organization_id, max(version) AS version FROM feed_changes
          WHERE version > $1 AND version <= $2 GROUP BY organization_id`,
        [result.fromVersion, result.toVersion],
      );
      for (const row of rows) reached.set(row.organization_id, Number(row.version));
    }
    const publishedTo = organizationIds.map((organizationId) => ({
      organizationId,
      version: reached.get(organizationId) ?? result.fromVersion,
    }));
    return { ...result, publishedTo };
  }

  /** A withdrawn request's claims end; what no other request still holds is removed. */
  async withdraw(manager: EntityManager, requestId: string): Promise<FeedWriteResult> {
    await this.begin(manager);
    await manager.query(
      `WITH ended AS (DELETE FROM feed_claims WHERE request_id = $1
                      RETURNING indicator_id, organization_id)
       INSERT INTO pg_temp.feed_delta (organization_id, indicator_id, op, reason, request_id)
       SELECT e.organization_id, e.indicator_id, 'remove', 'withdrawal', $1
         FROM ended e
         JOIN feed_active a ON a.organization_id = e.organization_id AND a.indicator_id = e.indicator_id
        WHERE NOT EXISTS (SELECT 1 FROM feed_claims c
                           WHERE c.indicator_id = e.indicator_id
                             AND c.organization_id = e.organization_id
                             AND c.request_id <> $1)`,
      [requestId],
    );
    return this.commitDelta(manager);
  }

  /** Indicators that expired or were revoked leave every ISP's active set. */
  async retire(
    manager: EntityManager,
    indicatorIds: string[],
    reason: Extract<RemovalReason, 'expiry' | 'revocation'>,
  ): Promise<FeedWriteResult> {
    await this.begin(manager);
    await manager.query(`DELETE FROM feed_claims WHERE indicator_id = ANY($1::uuid[])`, [
      indicatorIds,
    ]);
    await manager.query(
      `INSERT INTO pg_temp.feed_delta (organization_id, indicator_id, op, reason, request_id)
       SELECT organization_id, indicator_id, 'remove', $2, NULL
         FROM feed_active WHERE indicator_id = ANY($1::uuid[])`,
      [indicatorIds, reason],
    );
    return this.commitDelta(manager);
  }

  /** The last committed feed version. */
  currentVersion(manager: EntityManager): Promise<number> {
    return readFeedVersion(manager);
  }

  /**
   * Takes the feed lock for the rest of the caller's transaction (idempotent). Callers that
   * decide from indicator statuses (publication, expiry) take it before reading them.
   */
  async lock(manager: EntityManager): Promise<void> {
    if (!manager.queryRunner?.isTransactionActive) {
      throw new Error('FeedWriter must run inside a transaction');
    }
    await lockFeedVersion(manager);
  }

  private async begin(manager: EntityManager): Promise<void> {
    await this.lock(manager);
    // The temporary delta is never analyzed, so the planner's estimates for the statements
    // that apply it are large enough to make PostgreSQL JIT-compile them: about a second per
    // publication, spent holding the feed lock (bench:audit --server-jit). Interpreted, they
    // take milliseconds.
    await manager.query(`SET LOCAL jit = off`);
    await manager.query(
      `CREATE TEMP TABLE IF NOT EXISTS feed_delta (
         organization_id uuid NOT NULL, indicator_id uuid NOT NULL, op text NOT NULL,
         reason text NOT NULL, request_id uuid) ON COMMIT DELETE ROWS`,
    );
    await manager.query(`TRUNCATE pg_temp.feed_delta`);
  }

  /** Numbers the delta's rows with the next versions and applies them to the active sets. */
  private async commitDelta(manager: EntityManager): Promise<FeedWriteResult> {
    const [count] = await manager.query<{ added: number; removed: number }[]>(
      `SELECT count(*) FILTER (WHERE op = 'add')::int AS added,
              count(*) FILTER (WHERE op = 'remove')::int AS removed
         FROM pg_temp.feed_delta`,
    );
    const total = count.added + count.removed;
    if (total === 0) {
      const version = await this.currentVersion(manager);
      return { fromVersion: version, toVersion: version, added: 0, removed: 0 };
    }
    const toVersion = await advanceFeedVersion(manager, total);
    const fromVersion = toVersion - total;
    // A removal revokes the STIX object of the activation it ends; an add is the indicator's
    // own object the first time it enters this ISP's feed, and a new one after a removal.
    await manager.query(
      `INSERT INTO feed_changes (version, organization_id, indicator_id, op, reason, request_id,
                                 added_at, stix_id)
       SELECT $1::bigint + d.n, d.organization_id, d.indicator_id, d.op, d.reason, d.request_id,
              v.last_added_at - ($2::bigint - d.n) * interval '1 microsecond',
              CASE WHEN d.op = 'remove'
                     THEN (SELECT a.stix_id FROM feed_active a
                            WHERE a.organization_id = d.organization_id
                              AND a.indicator_id = d.indicator_id)
                   WHEN EXISTS (SELECT 1 FROM feed_changes p
                                 WHERE p.organization_id = d.organization_id
                                   AND p.indicator_id = d.indicator_id)
                     THEN feed_stix_id(d.indicator_id, $1::bigint + d.n)
                   ELSE d.indicator_id END
         FROM (SELECT *, row_number() OVER (ORDER BY organization_id, indicator_id) AS n
                 FROM pg_temp.feed_delta) d
         CROSS JOIN ${FEED_VERSION_TIME_SQL} v`,
      [fromVersion, total],
    );
    await manager.query(
      `DELETE FROM feed_active a USING feed_changes c
        WHERE c.version > $1 AND c.op = 'remove'
          AND a.organization_id = c.organization_id AND a.indicator_id = c.indicator_id`,
      [fromVersion],
    );
    await manager.query(
      `INSERT INTO feed_active (organization_id, indicator_id, since_version, stix_id, added_at)
       SELECT organization_id, indicator_id, version, stix_id, added_at FROM feed_changes
        WHERE version > $1 AND op = 'add'`,
      [fromVersion],
    );
    // Delivered at commit (and only then) to every instance's FeedVersionWatcher.
    await notifyFeedVersion(manager, toVersion);
    return { fromVersion, toVersion, added: count.added, removed: count.removed };
  }
}
