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
 * The only writer of the feed: the change log (`feed_log`), what is active (`feed_active_sets`)
 * and why (`feed_claim_sets`, one row per published block item in force). Each row carries an
 * **audience**, an interned set of ISPs (`feed_audiences`): a publication to sixty ISPs writes
 * one row per indicator, not sixty (decision 0021). Each ISP's view (`feed_changes`,
 * `feed_active`, `feed_claims`) is the rows whose audience holds it.
 *
 * Every method runs inside the caller's transaction and starts by locking the version counter,
 * so feed writers are serialized: versions are dense and commit in order (decision 0005). An
 * indicator is active for an ISP while at least one claim holds it for that ISP; the change log
 * records each transition once per ISP. The set arithmetic on audiences is done once per
 * distinct combination of audiences (a handful), never once per indicator and ISP.
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
    const audience = await this.audienceOf(manager, organizationIds);
    if (audience !== null) {
      await this.unblock(manager, requestId, audience);
      await this.block(manager, requestId, audience);
    }
    const result = await this.commitDelta(manager);
    // Every change in (fromVersion, toVersion] is this publication's (the lock is held).
    const reached = new Map<string, number>();
    if (result.toVersion > result.fromVersion) {
      const rows = await manager.query<{ members: string[]; version: string }[]>(
        `SELECT a.members, l.version
           FROM (SELECT audience_id, max(version) AS version FROM feed_log
                  WHERE version > $1 AND version <= $2 GROUP BY audience_id) l
           JOIN feed_audiences a ON a.id = l.audience_id`,
        [result.fromVersion, result.toVersion],
      );
      for (const row of rows) {
        for (const organizationId of row.members) {
          const version = Math.max(reached.get(organizationId) ?? 0, Number(row.version));
          reached.set(organizationId, version);
        }
      }
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
      `WITH ended AS (DELETE FROM feed_claim_sets WHERE request_id = $1
                      RETURNING indicator_id, audience_id)
       INSERT INTO pg_temp.feed_ended (indicator_id, audience_id)
       SELECT indicator_id, audience_id FROM ended`,
      [requestId],
    );
    // Each active row of those indicators, with what the other requests still claim of the
    // indicator (the list of their audiences).
    await manager.query(
      `INSERT INTO pg_temp.feed_rows (indicator_id, audience_id, claim_id, others, stix_id)
       SELECT a.indicator_id, a.audience_id, e.audience_id, coalesce(o.others, '{}'), a.stix_id
         FROM pg_temp.feed_ended e
         JOIN feed_active_sets a ON a.indicator_id = e.indicator_id
         LEFT JOIN (SELECT c.indicator_id,
                           array_agg(DISTINCT c.audience_id ORDER BY c.audience_id) AS others
                      FROM feed_claim_sets c JOIN pg_temp.feed_ended x USING (indicator_id)
                     GROUP BY c.indicator_id) o ON o.indicator_id = e.indicator_id`,
    );
    // Each active row loses the ISPs of the ended claim that no other claim holds.
    await manager.query(
      `INSERT INTO pg_temp.feed_split (audience_id, claim_id, others, cut, rest)
       SELECT k.audience_id, k.claim_id, k.others, feed_audience(k.cut),
              feed_audience(feed_set_minus(a.members, k.cut))
         FROM (SELECT d.audience_id, d.claim_id, d.others,
                      feed_set_minus(feed_set_and(a.members, c.members), feed_members(d.others)) AS cut
                 FROM (SELECT DISTINCT audience_id, claim_id, others FROM pg_temp.feed_rows) d
                 JOIN feed_audiences a ON a.id = d.audience_id
                 JOIN feed_audiences c ON c.id = d.claim_id) k
         JOIN feed_audiences a ON a.id = k.audience_id`,
    );
    await this.cutActive(manager, 'withdrawal', requestId);
    return this.commitDelta(manager);
  }

  /** Indicators that expired or were revoked leave every ISP's active set. */
  async retire(
    manager: EntityManager,
    indicatorIds: string[],
    reason: Extract<RemovalReason, 'expiry' | 'revocation'>,
  ): Promise<FeedWriteResult> {
    await this.begin(manager);
    await manager.query(`DELETE FROM feed_claim_sets WHERE indicator_id = ANY($1::uuid[])`, [
      indicatorIds,
    ]);
    await manager.query(
      `WITH ended AS (DELETE FROM feed_active_sets WHERE indicator_id = ANY($1::uuid[])
                      RETURNING indicator_id, audience_id, stix_id)
       INSERT INTO pg_temp.feed_delta (indicator_id, audience_id, op, reason, request_id, stix_id)
       SELECT indicator_id, audience_id, 'remove', $2, NULL, stix_id FROM ended`,
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

  /** The interned audience of these ISPs; null when there are none. */
  private async audienceOf(
    manager: EntityManager,
    organizationIds: string[],
  ): Promise<number | null> {
    const [row] = await manager.query<{ id: number | null }[]>(
      `SELECT feed_audience($1::uuid[]) AS id`,
      [organizationIds],
    );
    return row.id;
  }

  /**
   * Unblock items end every claim on their indicator for the audience's ISPs, and remove it
   * from their feeds where it was active.
   */
  private async unblock(
    manager: EntityManager,
    requestId: string,
    audience: number,
  ): Promise<void> {
    const items = `SELECT indicator_id FROM blocking_request_items
                    WHERE request_id = $1 AND operation = 'unblock'`;
    const [any] = await manager.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM (${items} LIMIT 1) i`,
      [requestId],
    );
    if (any.n === 0) return;
    // Claims lose the audience's ISPs (a claim left with none ends).
    await manager.query(
      `INSERT INTO pg_temp.feed_claim_cut (indicator_id, request_id, audience_id)
       SELECT c.indicator_id, c.request_id, c.audience_id
         FROM feed_claim_sets c WHERE c.indicator_id IN (${items})`,
      [requestId],
    );
    await manager.query(
      `INSERT INTO pg_temp.feed_claim_split (audience_id, rest)
       SELECT d.audience_id, feed_audience(feed_set_minus(a.members, s.members))
         FROM (SELECT DISTINCT audience_id FROM pg_temp.feed_claim_cut) d
         JOIN feed_audiences a ON a.id = d.audience_id
         CROSS JOIN (SELECT members FROM feed_audiences WHERE id = $1) s`,
      [audience],
    );
    await manager.query(
      `DELETE FROM feed_claim_sets c USING pg_temp.feed_claim_cut k, pg_temp.feed_claim_split p
        WHERE c.indicator_id = k.indicator_id AND c.request_id = k.request_id
          AND p.audience_id = k.audience_id AND p.rest IS NULL`,
    );
    await manager.query(
      `UPDATE feed_claim_sets c SET audience_id = p.rest
         FROM pg_temp.feed_claim_cut k, pg_temp.feed_claim_split p
        WHERE c.indicator_id = k.indicator_id AND c.request_id = k.request_id
          AND p.audience_id = k.audience_id AND p.rest IS DISTINCT FROM k.audience_id`,
    );
    // Active rows lose the audience's ISPs.
    await manager.query(
      `INSERT INTO pg_temp.feed_rows (indicator_id, audience_id, claim_id, stix_id)
       SELECT a.indicator_id, a.audience_id, $2::int, a.stix_id
         FROM feed_active_sets a WHERE a.indicator_id IN (${items})`,
      [requestId, audience],
    );
    await manager.query(
      `INSERT INTO pg_temp.feed_split (audience_id, claim_id, others, cut, rest)
       SELECT d.audience_id, d.claim_id, '{}', feed_audience(feed_set_and(a.members, s.members)),
              feed_audience(feed_set_minus(a.members, s.members))
         FROM (SELECT DISTINCT audience_id, claim_id FROM pg_temp.feed_rows) d
         JOIN feed_audiences a ON a.id = d.audience_id
         JOIN feed_audiences s ON s.id = d.claim_id`,
    );
    await this.cutActive(manager, 'unblock', requestId);
  }

  /**
   * Applies `feed_split` to the active rows in `feed_rows`: each loses its `cut` ISPs (a removal
   * for them, carrying the object it revokes) and keeps its `rest` (none: the row ends).
   */
  private async cutActive(
    manager: EntityManager,
    reason: 'unblock' | 'withdrawal',
    requestId: string,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO pg_temp.feed_delta (indicator_id, audience_id, op, reason, request_id, stix_id)
       SELECT r.indicator_id, p.cut, 'remove', $1, $2::uuid, r.stix_id
         FROM pg_temp.feed_rows r
         JOIN pg_temp.feed_split p ON p.audience_id = r.audience_id AND p.claim_id = r.claim_id
              AND p.others = r.others
        WHERE p.cut IS NOT NULL`,
      [reason, requestId],
    );
    await manager.query(
      `DELETE FROM feed_active_sets a USING pg_temp.feed_rows r, pg_temp.feed_split p
        WHERE a.indicator_id = r.indicator_id AND a.audience_id = r.audience_id
          AND p.audience_id = r.audience_id AND p.claim_id = r.claim_id
          AND p.others = r.others
          AND p.cut IS NOT NULL AND p.rest IS NULL`,
    );
    await manager.query(
      `UPDATE feed_active_sets a SET audience_id = p.rest
         FROM pg_temp.feed_rows r, pg_temp.feed_split p
        WHERE a.indicator_id = r.indicator_id AND a.audience_id = r.audience_id
          AND p.audience_id = r.audience_id AND p.claim_id = r.claim_id
          AND p.others = r.others
          AND p.cut IS NOT NULL AND p.rest IS NOT NULL`,
    );
  }

  /**
   * Block items of active network indicators claim them for the audience; the ISPs for which
   * an indicator was not active yet get it added: as the indicator's own STIX object the first
   * time it enters an ISP's feed, as a new object after a removal. (Statuses are read here,
   * under the version lock, so that a revocation or expiry that committed first is seen.)
   */
  private async block(manager: EntityManager, requestId: string, audience: number): Promise<void> {
    const items = `SELECT i.indicator_id FROM blocking_request_items i
                     JOIN indicators n ON n.id = i.indicator_id
                          AND n.status = 'active' AND n.type IN ${FEED_TYPES_SQL}
                    WHERE i.request_id = $1 AND i.operation = 'block'`;
    await manager.query(`INSERT INTO pg_temp.feed_items (indicator_id) ${items}`, [requestId]);
    // A request is published once; should it be again, what it claims already stays as it is.
    // (Checked first: a conflict check on every row of a million costs seconds.)
    const [again] = await manager.query<{ claimed: boolean }[]>(
      `SELECT EXISTS (SELECT 1 FROM feed_claim_sets WHERE request_id = $1) AS claimed`,
      [requestId],
    );
    await manager.query(
      `INSERT INTO feed_claim_sets (indicator_id, request_id, audience_id)
       SELECT indicator_id, $1::uuid, $2::int FROM pg_temp.feed_items
       ${again.claimed ? 'ON CONFLICT DO NOTHING' : ''}`,
      [requestId, audience],
    );
    // Per indicator: the audiences it is active for, and those whose feeds ever carried it.
    await manager.query(
      `INSERT INTO pg_temp.feed_gain (indicator_id, active, seen)
       SELECT i.indicator_id, coalesce(a.ids, '{}'), coalesce(h.ids, '{}')
         FROM pg_temp.feed_items i
         LEFT JOIN (SELECT a.indicator_id, array_agg(a.audience_id ORDER BY a.audience_id) AS ids
                      FROM feed_active_sets a JOIN pg_temp.feed_items x USING (indicator_id)
                     GROUP BY a.indicator_id) a ON a.indicator_id = i.indicator_id
         LEFT JOIN (SELECT l.indicator_id,
                           array_agg(DISTINCT l.audience_id ORDER BY l.audience_id) AS ids
                      FROM feed_log l JOIN pg_temp.feed_items x USING (indicator_id)
                     GROUP BY l.indicator_id) h ON h.indicator_id = i.indicator_id`,
    );
    await manager.query(
      `INSERT INTO pg_temp.feed_gain_split (active, seen, fresh, renewed)
       SELECT k.active, k.seen, feed_audience(feed_set_minus(k.gain, feed_members(k.seen))),
              feed_audience(feed_set_and(k.gain, feed_members(k.seen)))
         FROM (SELECT d.active, d.seen, feed_set_minus(s.members, feed_members(d.active)) AS gain
                 FROM (SELECT DISTINCT active, seen FROM pg_temp.feed_gain) d
                 CROSS JOIN (SELECT members FROM feed_audiences WHERE id = $1) s) k`,
      [audience],
    );
    await manager.query(
      `INSERT INTO pg_temp.feed_delta (indicator_id, audience_id, op, reason, request_id, stix_id)
       SELECT g.indicator_id, p.fresh, 'add', 'block', $1::uuid, g.indicator_id
         FROM pg_temp.feed_gain g
         JOIN pg_temp.feed_gain_split p ON p.active = g.active
              AND p.seen = g.seen
        WHERE p.fresh IS NOT NULL
       UNION ALL
       SELECT g.indicator_id, p.renewed, 'add', 'block', $1::uuid, NULL
         FROM pg_temp.feed_gain g
         JOIN pg_temp.feed_gain_split p ON p.active = g.active
              AND p.seen = g.seen
        WHERE p.renewed IS NOT NULL`,
      [requestId],
    );
  }

  private async begin(manager: EntityManager): Promise<void> {
    await this.lock(manager);
    // The temporary tables are never analyzed, so the planner's estimates for the statements
    // that apply them are large enough to make PostgreSQL JIT-compile them: about a second per
    // publication, spent holding the feed lock (bench:audit --server-jit). Interpreted, they
    // take milliseconds.
    await manager.query(`SET LOCAL jit = off`);
    // One round trip: the scratch tables exist after the first write on a connection.
    await manager.query(
      [
        ...SCRATCH_TABLES.map(
          ([table, columns]) =>
            `CREATE TEMP TABLE IF NOT EXISTS ${table} (${columns}) ON COMMIT DELETE ROWS`,
        ),
        `TRUNCATE ${SCRATCH_TABLES.map(([table]) => `pg_temp.${table}`).join(', ')}`,
      ].join(';\n'),
    );
  }

  /**
   * Numbers the delta's rows with the next versions, writes them to the log and adds the new
   * active rows. (Removals were applied to the active rows by the caller.)
   */
  private async commitDelta(manager: EntityManager): Promise<FeedWriteResult> {
    // Counts are per ISP, as each ISP sees them.
    const [count] = await manager.query<{ rows: number; added: number; removed: number }[]>(
      `SELECT coalesce(sum(d.n), 0)::int AS rows,
              coalesce(sum(d.n * cardinality(a.members)) FILTER (WHERE d.op = 'add'), 0)::int AS added,
              coalesce(sum(d.n * cardinality(a.members)) FILTER (WHERE d.op = 'remove'), 0)::int AS removed
         FROM (SELECT audience_id, op, count(*) AS n FROM pg_temp.feed_delta
                GROUP BY audience_id, op) d
         JOIN feed_audiences a ON a.id = d.audience_id`,
    );
    const total = count.rows;
    if (total === 0) {
      const version = await this.currentVersion(manager);
      return { fromVersion: version, toVersion: version, added: 0, removed: 0 };
    }
    const toVersion = await advanceFeedVersion(manager, total);
    const fromVersion = toVersion - total;
    // A removal carries the STIX object it revokes; an add the indicator's own object (set by
    // the caller) or, after a removal, a new one named by the version that adds it.
    await manager.query(
      `INSERT INTO feed_log (version, audience_id, indicator_id, op, reason, request_id,
                             added_at, stix_id)
       SELECT $1::bigint + d.n, d.audience_id, d.indicator_id, d.op, d.reason, d.request_id,
              v.last_added_at - ($2::bigint - d.n) * interval '1 microsecond',
              coalesce(d.stix_id, feed_stix_id(d.indicator_id, $1::bigint + d.n))
         FROM (SELECT *, row_number() OVER (ORDER BY indicator_id, audience_id, op) AS n
                 FROM pg_temp.feed_delta) d
         CROSS JOIN ${FEED_VERSION_TIME_SQL} v`,
      [fromVersion, total],
    );
    await manager.query(
      `INSERT INTO feed_active_sets (indicator_id, audience_id, since_version, stix_id, added_at)
       SELECT indicator_id, audience_id, version, stix_id, added_at FROM feed_log
        WHERE version > $1 AND op = 'add'`,
      [fromVersion],
    );
    // Delivered at commit (and only then) to every instance's FeedVersionWatcher.
    await notifyFeedVersion(manager, toVersion);
    return { fromVersion, toVersion, added: count.added, removed: count.removed };
  }
}

/** The writer's scratch tables (temporary: emptied at commit, never seen by anyone else). */
const SCRATCH_TABLES: [string, string][] = [
  // The transitions to number: one row per indicator and audience.
  [
    'feed_delta',
    `indicator_id uuid NOT NULL, audience_id integer NOT NULL, op text NOT NULL,
     reason text NOT NULL, request_id uuid, stix_id uuid`,
  ],
  // Active rows being cut: by the ISPs of `claim_id`, except those `others` still claim.
  [
    'feed_rows',
    `indicator_id uuid NOT NULL, audience_id integer NOT NULL, claim_id integer NOT NULL,
     others integer[] NOT NULL DEFAULT '{}', stix_id uuid NOT NULL`,
  ],
  [
    'feed_split',
    'audience_id integer NOT NULL, claim_id integer NOT NULL, others integer[] NOT NULL, cut integer, rest integer',
  ],
  // Claims an unblock item cuts, and what each of their audiences keeps.
  [
    'feed_claim_cut',
    'indicator_id uuid NOT NULL, request_id uuid NOT NULL, audience_id integer NOT NULL',
  ],
  ['feed_claim_split', 'audience_id integer NOT NULL, rest integer'],
  // Block items that enter feeds; claims a withdrawal ended.
  ['feed_items', 'indicator_id uuid NOT NULL'],
  ['feed_ended', 'indicator_id uuid NOT NULL, audience_id integer NOT NULL'],
  // Block items: where each indicator is active already, and which feeds ever carried it.
  ['feed_gain', 'indicator_id uuid NOT NULL, active integer[] NOT NULL, seen integer[] NOT NULL'],
  [
    'feed_gain_split',
    'active integer[] NOT NULL, seen integer[] NOT NULL, fresh integer, renewed integer',
  ],
];
