import { keysetOrderSql, keysetSql, type Keyset } from '#src/platform/pagination/index.js';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

/** First key of the advisory lock that serialises creations per organization (the cap). */
const SUBSCRIPTION_CAP_LOCK = 0x77656268;
/** The advisory lock that serializes delivery claims (the bound per organization). */
const CLAIM_LOCK = 0x77656269;

export type DeliveryStatus = 'pending' | 'succeeded' | 'dead';
export const DELIVERY_STATUSES: DeliveryStatus[] = ['pending', 'succeeded', 'dead'];

export interface SubscriptionRow {
  id: string;
  organizationId: string;
  url: string;
  events: string[];
  description: string | null;
  secretEncrypted: Buffer;
  previousSecretEncrypted: Buffer | null;
  previousSecretExpiresAt: Date | null;
  active: boolean;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
  deletedAt: Date | null;
  version: number;
}

export interface DeliveryRow {
  id: string;
  subscriptionId: string;
  organizationId: string;
  outboxId: string | null;
  eventType: string;
  payload: { type: string; timestamp: string; data: unknown };
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date;
  lockedUntil: Date | null;
  lockedBy: string | null;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
  deadAt: Date | null;
}

export interface AttemptRow {
  attempt: number;
  worker: string;
  startedAt: Date;
  durationMs: number;
  responseStatus: number | null;
  error: string | null;
}

const SUBSCRIPTION_COLUMNS = `
  s.id, s.organization_id AS "organizationId", s.url, s.events, s.description,
  s.secret_encrypted AS "secretEncrypted",
  s.previous_secret_encrypted AS "previousSecretEncrypted",
  s.previous_secret_expires_at AS "previousSecretExpiresAt",
  s.active, s.created_by AS "createdBy", s.created_at AS "createdAt",
  s.updated_at AS "updatedAt", s.deleted_at AS "deletedAt", s.version`;

const DELIVERY_COLUMNS = `
  d.id, d.subscription_id AS "subscriptionId", d.organization_id AS "organizationId",
  d.outbox_id::text AS "outboxId", d.event_type AS "eventType", d.payload, d.status,
  d.attempts, d.next_attempt_at AS "nextAttemptAt", d.locked_until AS "lockedUntil",
  d.locked_by AS "lockedBy", d.last_status AS "lastStatus", d.last_error AS "lastError",
  d.created_at AS "createdAt", d.delivered_at AS "deliveredAt", d.dead_at AS "deadAt"`;

/**
 * Webhook subscriptions, deliveries and attempts, and the outbox they are fed from: plain SQL
 * (tables without entities, like the feed and the outbox).
 */
@Injectable()
export class WebhooksRepository {
  constructor(private readonly dataSource: DataSource) {}

  private q(manager?: EntityManager): EntityManager {
    return manager ?? this.dataSource.manager;
  }

  // --- subscriptions -------------------------------------------------------------------

  /**
   * The organization's subscriptions (not deleted), counted under a transaction-scoped advisory
   * lock on the organization: until `manager`'s transaction ends, another creation for the same
   * organization waits here, then counts what this one wrote (READ COMMITTED: a new snapshot
   * per statement). So two concurrent creations cannot both pass the cap.
   */
  async lockAndCountSubscriptions(manager: EntityManager, organizationId: string): Promise<number> {
    await manager.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
      SUBSCRIPTION_CAP_LOCK,
      organizationId,
    ]);
    const rows: { n: number }[] = await manager.query(
      `SELECT count(*)::int AS n FROM webhook_subscriptions
        WHERE organization_id = $1 AND deleted_at IS NULL`,
      [organizationId],
    );
    return rows[0].n;
  }

  async insertSubscription(
    manager: EntityManager,
    s: {
      organizationId: string;
      url: string;
      events: string[];
      description: string | null;
      secretEncrypted: Buffer;
      createdBy: string;
    },
  ): Promise<SubscriptionRow> {
    const rows: SubscriptionRow[] = await manager.query(
      `INSERT INTO webhook_subscriptions AS s
         (organization_id, url, events, description, secret_encrypted, created_by)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${SUBSCRIPTION_COLUMNS}`,
      [s.organizationId, s.url, s.events, s.description, s.secretEncrypted, s.createdBy],
    );
    return rows[0];
  }

  /** A subscription that is not deleted. */
  async findSubscription(id: string, manager?: EntityManager): Promise<SubscriptionRow | null> {
    const rows: SubscriptionRow[] = await this.q(manager).query(
      `SELECT ${SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions s
        WHERE s.id = $1 AND s.deleted_at IS NULL`,
      [id],
    );
    return rows[0] ?? null;
  }

  /** Newest first; one organization's, or (organizationId unset) every organization's. */
  async listSubscriptions(
    organizationId: string | undefined,
    after: Keyset | undefined,
    limit: number,
  ): Promise<SubscriptionRow[]> {
    const params: unknown[] = [organizationId ?? null];
    const where = `s.deleted_at IS NULL AND ($1::uuid IS NULL OR s.organization_id = $1) AND ${keysetSql('s', after, params)}`;
    params.push(limit + 1);
    return this.dataSource.query(
      `SELECT ${SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions s WHERE ${where}
        ORDER BY ${keysetOrderSql('s')} LIMIT $${params.length}`,
      params,
    );
  }

  /** Applies the changes if the row still has `version`; null when it changed (or is gone). */
  async updateSubscriptionIfVersion(
    manager: EntityManager,
    id: string,
    version: number,
    changes: { url?: string; events?: string[]; description?: string | null; active?: boolean },
  ): Promise<SubscriptionRow | null> {
    const columns: Record<string, unknown> = {
      url: changes.url,
      events: changes.events,
      description: changes.description,
      active: changes.active,
    };
    const params: unknown[] = [id, version];
    const sets: string[] = [];
    for (const [column, value] of Object.entries(columns)) {
      if (value === undefined) continue;
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    }
    const rows: [SubscriptionRow[], number] = await manager.query(
      `UPDATE webhook_subscriptions s
          SET ${[...sets, 'version = s.version + 1', 'updated_at = now()'].join(', ')}
        WHERE s.id = $1 AND s.version = $2 AND s.deleted_at IS NULL
        RETURNING ${SUBSCRIPTION_COLUMNS}`,
      params,
    );
    return rows[0][0] ?? null;
  }

  /**
   * The new secret signs from now on; the current one keeps signing until `previousUntil`.
   * Refused ('overlap') while a previous secret is still in its overlap (before `now`): a
   * second rotation would drop that secret at once, and the receiver may not have the newer
   * one yet (decision 0009). Null when the subscription does not exist.
   */
  async rotateSecret(
    manager: EntityManager,
    id: string,
    secretEncrypted: Buffer,
    previousUntil: Date,
    now: Date,
  ): Promise<SubscriptionRow | 'overlap' | null> {
    const rows: [SubscriptionRow[], number] = await manager.query(
      `UPDATE webhook_subscriptions s
          SET previous_secret_encrypted = s.secret_encrypted,
              previous_secret_expires_at = $3,
              secret_encrypted = $2,
              version = s.version + 1, updated_at = now()
        WHERE s.id = $1 AND s.deleted_at IS NULL
          AND (s.previous_secret_expires_at IS NULL OR s.previous_secret_expires_at <= $4)
        RETURNING ${SUBSCRIPTION_COLUMNS}`,
      [id, secretEncrypted, previousUntil, now],
    );
    if (rows[0][0]) return rows[0][0];
    const exists: unknown[] = await manager.query(
      `SELECT 1 FROM webhook_subscriptions WHERE id = $1 AND deleted_at IS NULL`,
      [id],
    );
    return exists.length > 0 ? 'overlap' : null;
  }

  /** Marks the subscription deleted and dead-letters its pending deliveries; false if gone. */
  async softDelete(manager: EntityManager, id: string, now: Date): Promise<number | null> {
    const deleted: [unknown[], number] = await manager.query(
      `UPDATE webhook_subscriptions SET deleted_at = $2, updated_at = now(), active = false,
              version = version + 1
        WHERE id = $1 AND deleted_at IS NULL RETURNING id`,
      [id, now],
    );
    if (deleted[1] === 0) return null;
    const stopped: [unknown[], number] = await manager.query(
      `UPDATE webhook_deliveries
          SET status = 'dead', dead_at = $2, last_error = 'subscription deleted',
              locked_until = NULL, locked_by = NULL
        WHERE subscription_id = $1 AND status = 'pending' RETURNING id`,
      [id, now],
    );
    return stopped[1];
  }

  // --- deliveries (API) ----------------------------------------------------------------

  async listDeliveries(
    subscriptionId: string,
    status: DeliveryStatus | undefined,
    after: Keyset | undefined,
    limit: number,
  ): Promise<DeliveryRow[]> {
    const params: unknown[] = [subscriptionId, status ?? null];
    const where = `d.subscription_id = $1 AND ($2::text IS NULL OR d.status = $2) AND ${keysetSql('d', after, params)}`;
    params.push(limit + 1);
    return this.dataSource.query(
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d WHERE ${where}
        ORDER BY ${keysetOrderSql('d')} LIMIT $${params.length}`,
      params,
    );
  }

  /** A delivery of a subscription that is not deleted. */
  async findDelivery(id: string): Promise<DeliveryRow | null> {
    const rows: DeliveryRow[] = await this.dataSource.query(
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d
         JOIN webhook_subscriptions s ON s.id = d.subscription_id AND s.deleted_at IS NULL
        WHERE d.id = $1`,
      [id],
    );
    return rows[0] ?? null;
  }

  async attemptsOf(
    deliveryId: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<AttemptRow[]> {
    return manager.query(
      `SELECT attempt, worker, started_at AS "startedAt", duration_ms AS "durationMs",
              response_status AS "responseStatus", error
         FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempt`,
      [deliveryId],
    );
  }

  /** A dead or succeeded delivery back to pending, due now, its attempt count reset. */
  async redeliver(manager: EntityManager, id: string, now: Date): Promise<DeliveryRow | null> {
    const rows: [DeliveryRow[], number] = await manager.query(
      `UPDATE webhook_deliveries d
          SET status = 'pending', attempts = 0, next_attempt_at = $2, delivered_at = NULL,
              dead_at = NULL, locked_until = NULL, locked_by = NULL
        WHERE d.id = $1 AND d.status IN ('dead', 'succeeded')
        RETURNING ${DELIVERY_COLUMNS}`,
      [id, now],
    );
    return rows[0][0] ?? null;
  }

  // --- dispatcher: outbox → deliveries --------------------------------------------------

  /**
   * Claims up to `limit` undispatched outbox messages (FOR UPDATE SKIP LOCKED: another
   * instance takes the next ones), creates one delivery per matching subscription (paused ones included: their deliveries wait) and marks
   * the messages dispatched, all in the caller's transaction.
   */
  async dispatchBatch(
    manager: EntityManager,
    limit: number,
    now: Date,
  ): Promise<{ messages: number; deliveries: number }> {
    const claimed: { id: string }[] = await manager.query(
      `SELECT id::text FROM outbox WHERE dispatched_at IS NULL
        ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    );
    if (claimed.length === 0) return { messages: 0, deliveries: 0 };
    const ids = claimed.map((c) => c.id);
    const inserted: unknown[] = await manager.query(
      `INSERT INTO webhook_deliveries
         (subscription_id, organization_id, outbox_id, event_type, payload, next_attempt_at)
       SELECT s.id, s.organization_id, o.id, o.topic,
              jsonb_build_object(
                'type', o.topic,
                'timestamp', to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                'data', o.payload),
              $2
         FROM outbox o
         JOIN webhook_subscriptions s
           ON s.organization_id = ANY (o.recipients) AND o.topic = ANY (s.events)
          AND s.deleted_at IS NULL
        WHERE o.id = ANY ($1::bigint[])
       ON CONFLICT (outbox_id, subscription_id) DO NOTHING
       RETURNING id`,
      [ids, now],
    );
    await manager.query(`UPDATE outbox SET dispatched_at = $2 WHERE id = ANY ($1::bigint[])`, [
      ids,
      now,
    ]);
    return { messages: ids.length, deliveries: inserted.length };
  }

  // --- deliverer --------------------------------------------------------------------------

  /**
   * Leases up to `limit` deliveries due at `now` to `worker` for `leaseMs`, the oldest first, but
   * never more than `maxPerOrganization` leased at once per organization (counting the leases
   * every worker of every instance holds): one organization with a slow receiver cannot fill
   * the lanes while others wait. Rows are picked with FOR UPDATE SKIP LOCKED and only if no
   * live lease holds them, so two workers never hold the same delivery; claims are serialized
   * by a transaction-scoped advisory lock (held for the claim's few milliseconds), so the next
   * claimer counts the leases this one just took and the bound holds across instances.
   *
   * The query stays cheap however big the backlog, and whoever it belongs to: organizations at
   * their bound are skipped, and of every other active subscription only its
   * `maxPerOrganization` oldest due deliveries are read (index on subscription and due time):
   * a bounded prefix. Those are ranked per organization (`row_number()` + its live leases), and
   * the oldest within the bound are taken. Leases are set and compared with the database's
   * clock (now()), the one clock every instance shares (decision 0009); due-ness
   * (`next_attempt_at`) stays on the application's clock, which set it. Deliveries of paused
   * or deleted subscriptions wait. `deferred`: due deliveries read but left for later because
   * of the bound (a lower bound of those waiting for it).
   */
  async claimDueFairly(
    now: Date,
    leaseMs: number,
    worker: string,
    limit: number,
    maxPerOrganization: number,
  ): Promise<{ claimed: DeliveryRow[]; deferred: number }> {
    const rows: (DeliveryRow & { deferred: number })[] = await this.dataSource.transaction(
      async (manager) => {
        await manager.query('SELECT pg_advisory_xact_lock($1)', [CLAIM_LOCK]);
        return manager.query(
          `WITH leased AS (
             SELECT l.organization_id, count(*)::int AS n
               FROM webhook_deliveries l
              WHERE l.status = 'pending' AND l.locked_until > now()
              GROUP BY l.organization_id
           ), due AS (
             SELECT c.id, s.organization_id, c.next_attempt_at, COALESCE(leased.n, 0) AS leased
               FROM webhook_subscriptions s
               LEFT JOIN leased ON leased.organization_id = s.organization_id
              CROSS JOIN LATERAL (
                SELECT c.id, c.next_attempt_at FROM webhook_deliveries c
                 WHERE c.subscription_id = s.id AND c.status = 'pending'
                   AND c.next_attempt_at <= $1
                   AND (c.locked_until IS NULL OR c.locked_until <= now())
                 ORDER BY c.next_attempt_at
                 LIMIT $5) c
              WHERE s.active AND s.deleted_at IS NULL AND COALESCE(leased.n, 0) < $5
           ), ranked AS (
             SELECT due.id, due.next_attempt_at,
                    row_number() OVER (PARTITION BY due.organization_id
                                       ORDER BY due.next_attempt_at, due.id)
                      + due.leased AS slot
               FROM due
           ), chosen AS (
             SELECT id FROM ranked WHERE slot <= $5 ORDER BY next_attempt_at, id LIMIT $4
           ), locked AS (
             -- Checked again on the row's latest version once locked (another worker may have
             -- leased it, or recorded an attempt and put it off, since this statement began).
             SELECT c.id FROM webhook_deliveries c
              WHERE c.id IN (SELECT id FROM chosen) AND c.status = 'pending'
                AND c.next_attempt_at <= $1
                AND (c.locked_until IS NULL OR c.locked_until <= now())
                FOR UPDATE OF c SKIP LOCKED
           ), taken AS (
             UPDATE webhook_deliveries d
                SET locked_until = now() + $2 * interval '1 millisecond', locked_by = $3
              WHERE d.id IN (SELECT id FROM locked)
              RETURNING ${DELIVERY_COLUMNS}
           )
           SELECT taken.*, (SELECT count(*)::int FROM ranked WHERE slot > $5) AS deferred
             FROM taken ORDER BY taken."nextAttemptAt", taken.id`,
          [now, leaseMs, worker, limit, maxPerOrganization],
        );
      },
    );
    const deferred = rows[0]?.deferred ?? 0;
    const claimed = rows.map(({ deferred: _, ...row }) => row);
    return { claimed, deferred };
  }

  /** claimDueFairly's deliveries, without the bound per organization (tests). */
  async claimDue(
    now: Date,
    leaseMs: number,
    worker: string,
    limit: number,
    maxPerOrganization = 1_000_000,
  ): Promise<DeliveryRow[]> {
    return (await this.claimDueFairly(now, leaseMs, worker, limit, maxPerOrganization)).claimed;
  }

  /** Gives back leases `worker` holds but will not use (attempts it did not start). */
  async releaseLeases(ids: string[], worker: string): Promise<void> {
    if (ids.length === 0) return;
    await this.dataSource.query(
      `UPDATE webhook_deliveries SET locked_until = NULL, locked_by = NULL
        WHERE id = ANY($1::uuid[]) AND locked_by = $2 AND status = 'pending'`,
      [ids, worker],
    );
  }

  /**
   * Records one attempt, always (every attempt that was made is logged, even one whose lease
   * ran out meanwhile), and the delivery's new state only if `worker` still holds the lease
   * and the delivery is still pending (false otherwise: another worker took it over, and its
   * own attempt decides the state).
   */
  async recordAttempt(
    manager: EntityManager,
    attempt: {
      deliveryId: string;
      worker: string;
      startedAt: Date;
      durationMs: number;
      responseStatus: number | null;
      error: string | null;
    },
    outcome:
      | { status: 'succeeded'; at: Date }
      | { status: 'dead'; at: Date }
      | { status: 'pending'; nextAttemptAt: Date },
  ): Promise<boolean> {
    // Serializes attempt numbering per delivery (the row lock), whoever records.
    await manager.query(`SELECT id FROM webhook_deliveries WHERE id = $1 FOR UPDATE`, [
      attempt.deliveryId,
    ]);
    await manager.query(
      `INSERT INTO webhook_attempts
         (delivery_id, attempt, worker, started_at, duration_ms, response_status, error)
       SELECT $1, COALESCE(MAX(attempt), 0) + 1, $2, $3, $4, $5, $6
         FROM webhook_attempts WHERE delivery_id = $1`,
      [
        attempt.deliveryId,
        attempt.worker,
        attempt.startedAt,
        attempt.durationMs,
        attempt.responseStatus,
        attempt.error,
      ],
    );
    const updated: [unknown[], number] = await manager.query(
      `UPDATE webhook_deliveries
          SET attempts = attempts + 1, status = $3, last_status = $4, last_error = $5,
              next_attempt_at = COALESCE($6, next_attempt_at),
              delivered_at = $7, dead_at = $8, locked_until = NULL, locked_by = NULL
        WHERE id = $1 AND locked_by = $2 AND status = 'pending'
        RETURNING id`,
      [
        attempt.deliveryId,
        attempt.worker,
        outcome.status,
        attempt.responseStatus,
        attempt.error,
        outcome.status === 'pending' ? outcome.nextAttemptAt : null,
        outcome.status === 'succeeded' ? outcome.at : null,
        outcome.status === 'dead' ? outcome.at : null,
      ],
    );
    return updated[1] > 0;
  }
}
