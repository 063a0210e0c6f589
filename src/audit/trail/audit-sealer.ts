import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { chainHash } from '#src/audit/trail/chain.js';
import { EVENT_COLUMNS } from '#src/audit/trail/event-columns.js';
import { PeriodicRun } from '#src/platform/jobs/index.js';
import { AuditConfig } from '#src/audit/audit.config.js';
import { monotonicMs } from '#src/platform/clock/index.js';

/** Pending events chained per transaction: SHA-256 only here (the digests came with them). */
const BATCH = 5000;

/** After a failed periodic round, the next try comes this much later. */
const RETRY_MS = 5000;

const COLUMNS = EVENT_COLUMNS.map((f) => `"${f}"`).join(', ');
const FROM_PENDING = EVENT_COLUMNS.map((f) => `p."${f}"`).join(', ');

/**
 * Chains committed events (docs/decisions/0012-audit-trail.md, "The sealer"). A transaction
 * that changes something writes its events to `audit_pending`, with their digests, and commits
 * without waiting for anyone; this moves them into `audit_events` in the order it finds them,
 * giving each the next `seq` and `hash(seq) = SHA-256(hash(seq − 1) ‖ digest)`, and moves the
 * `audit_head` with them, in one transaction under the head's lock: one sealer at a time across
 * instances, the chain dense and linked whatever the number of writers.
 *
 * Runs every AUDIT_SEAL_INTERVAL_MS (skipping a round another instance is sealing), and on
 * demand: `flush()` chains everything committed before it was called, which readers of the
 * chain (verification, exports, checkpoints, the search) call first.
 */
@Injectable()
export class AuditSealer
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger(AuditSealer.name);
  private readonly job = new PeriodicRun('audit sealing', this.logger);
  /** Set while periodic rounds fail: since when, and when to try again. */
  private failing?: { since: number; retryAt: number };

  constructor(
    private readonly dataSource: DataSource,
    @Inject(AuditConfig) private readonly config: AuditConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.job.start(this.config.AUDIT_SEAL_INTERVAL_MS, () => this.sealWaiting());
  }

  /**
   * What this instance committed is chained before the pool closes (before any module's
   * onApplicationShutdown), and again by the last hooks that still find the pool open: what
   * is left waits, committed, for the next sealer of any instance.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.job.stop();
    await this.flushAtShutdown();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.flushAtShutdown();
  }

  private async flushAtShutdown(): Promise<void> {
    if (!this.dataSource.isInitialized) return;
    await this.flush().catch((error: unknown) =>
      this.logger.warn(`audit sealing at shutdown failed: ${String(error)}`),
    );
  }

  /** Chains every event committed before this call (and any committed since). */
  async flush(): Promise<void> {
    const [last] = await this.dataSource.query<{ id: string | null }[]>(
      `SELECT max("id")::text AS id FROM "audit_pending"`,
    );
    if (last?.id == null) return;
    while ((await this.round(true, last.id)) === BATCH);
  }

  /**
   * The periodic round: nothing to do costs one probe of the primary key (ORDER BY id: a plain
   * LIMIT 1 would scan the heap, dead rows of chained events included); another sealer at
   * work, a skip.
   * While rounds fail (the database away), one warning, a try every RETRY_MS, and one line when
   * sealing resumes, rather than a warning every interval.
   */
  private async sealWaiting(): Promise<void> {
    const now = monotonicMs();
    if (this.failing !== undefined && now < this.failing.retryAt) return;
    try {
      const [waiting] = await this.dataSource.query<unknown[]>(
        `SELECT 1 FROM "audit_pending" ORDER BY "id" LIMIT 1`,
      );
      if (waiting !== undefined) while ((await this.round(false)) === BATCH);
      if (this.failing !== undefined) {
        this.logger.log(
          `audit sealing resumed after ${Math.round((now - this.failing.since) / 1000)} s`,
        );
        this.failing = undefined;
      }
    } catch (error) {
      if (this.failing === undefined) {
        this.logger.warn(
          `audit sealing failed: ${String(error)} (retrying every ${RETRY_MS / 1000} s)`,
        );
        this.failing = { since: now, retryAt: 0 };
      }
      this.failing.retryAt = now + RETRY_MS;
    }
  }

  /**
   * One transaction: lock the head (waiting for another sealer, or skipping when `wait` is
   * false), chain up to BATCH pending events in id order (those with id ≤ `upTo`), move them,
   * move the head. Returns how many it chained.
   */
  private async round(wait: boolean, upTo?: string): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const [head] = await manager.query<{ seq: string; hash: Buffer }[]>(
        `SELECT "seq", "hash" FROM "audit_head" FOR UPDATE${wait ? '' : ' SKIP LOCKED'}`,
      );
      if (head === undefined) {
        if (wait) throw new Error('audit_head is missing: run the migrations');
        return 0;
      }
      const pending = await manager.query<{ id: string; digest: Buffer }[]>(
        // Ordered by the bigint column (an output column `id` of type text would sort as text).
        `SELECT p."id"::text AS id, p."digest" FROM "audit_pending" p
          WHERE $1::bigint IS NULL OR p."id" <= $1 ORDER BY p."id" LIMIT $2`,
        [upTo ?? null, BATCH],
      );
      if (pending.length === 0) return 0;
      let seq = Number(head.seq);
      let hash = head.hash;
      const ids: string[] = [];
      const seqs: number[] = [];
      const hashes: Buffer[] = [];
      for (const event of pending) {
        hash = chainHash(hash, event.digest);
        ids.push(event.id);
        seqs.push(++seq);
        hashes.push(hash);
      }
      const moved = await manager.query<unknown[]>(
        `INSERT INTO "audit_events" ("id", "seq", ${COLUMNS}, "hash") OVERRIDING SYSTEM VALUE
         SELECT p."id", v.seq, ${FROM_PENDING}, v.hash
           FROM unnest($1::bigint[], $2::bigint[], $3::bytea[]) AS v(id, seq, hash)
           JOIN "audit_pending" p ON p."id" = v.id
          ORDER BY v.seq
         RETURNING 1`,
        [ids, seqs, hashes],
      );
      if (moved.length !== pending.length) {
        throw new Error(`audit sealing: ${pending.length} events read, ${moved.length} moved`);
      }
      await manager.query(
        `WITH sealed AS (DELETE FROM "audit_pending" WHERE "id" = ANY($1::bigint[]))
         UPDATE "audit_head" SET "seq" = $2, "hash" = $3`,
        [ids, seq, hash],
      );
      return pending.length;
    });
  }
}
