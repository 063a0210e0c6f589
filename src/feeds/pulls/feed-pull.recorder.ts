import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { sqlState } from '#src/platform/database/index.js';
import { AuditLog, type AuditEventInput } from '#src/platform/audit-log/index.js';
import { actorType, type Principal } from '#src/identity/index.js';
import { Clock, monotonicMs } from '#src/platform/clock/index.js';
import type { PullFormat } from '#src/feeds/feed-vocabulary.js';
import { currentRequestContext, type RequestContext } from '#src/platform/http/index.js';
import { COMMITTED_FEED_VERSION_SQL } from '#src/feeds/change-log/feed-version.js';

export interface FeedPull {
  principal: Principal;
  format: PullFormat;
  fromVersion: number | null;
  toVersion: number;
  status: number;
  bytes: number;
  /**
   * SHA-256 (hex) of the body served, uncompressed: complete snapshots and 200 change pages,
   * which feed receipts are checked against (decision 0008). Null for the rest.
   */
  sha256?: string | null;
}

/** A pull as it waits for its flush: when it was served, and the request that asked for it. */
interface BufferedPull extends FeedPull {
  at: Date;
  context: RequestContext | null;
}

const FLUSH_MS = 1000;
/** A buffer this long is flushed at once, without waiting for the timer. */
const MAX_BUFFER = 1000;
/** Pulls written per transaction at most (a longer buffer takes several): short transactions. */
const MAX_BATCH = 250;
/** After a failed flush, the next try comes this much later. */
const RETRY_MS = 2000;
/**
 * Pulls held at most while flushes fail (the database refuses): beyond, the oldest are
 * dropped, counted and logged as errors, so that an outage cannot exhaust the memory.
 */
const MAX_HELD = 200_000;

/** What the recorder holds and has lost (tests, diagnostics). */
export interface FeedPullRecorderStats {
  pending: number;
  failedFlushes: number;
  dropped: number;
  /** Pulls refused as malformed (at record time or by PostgreSQL), each logged as an error. */
  rejected: number;
}

/** A version, a byte count: a safe non-negative integer (PostgreSQL's bigint holds it). */
function count(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

/** What a pull must be to be written; the reason it cannot be, otherwise. */
function malformed(pull: FeedPull): string | undefined {
  if (pull.fromVersion !== null && !count(pull.fromVersion)) return 'fromVersion';
  if (!count(pull.toVersion)) return 'toVersion';
  if (!count(pull.bytes)) return 'bytes';
  if (!Number.isInteger(pull.status) || pull.status < 100 || pull.status > 599) return 'status';
  return undefined;
}

/**
 * An error that is the data's, not the database's state (SQLSTATE classes 22 data exception,
 * 23 integrity constraint violation): retrying the same rows would fail forever.
 */
function isDataError(error: unknown): boolean {
  const state = sqlState(error);
  return state !== undefined && (state.startsWith('22') || state.startsWith('23'));
}

/**
 * Every pull, buffered in memory and written in batches (one transaction about once a second)
 * so that answering a poll, a 304 above all, needs no database work: per pull, a `feed_pulls`
 * row and its audit event (`feed.pull`) in the same transaction. The event names the caller
 * and the request (id, client address) captured when the pull was served; it is written up
 * to about a second after the response, never in the request's transaction. A failed flush
 * keeps its pulls and is retried; only shutting down with the database away, or an outage
 * beyond MAX_HELD pulls, loses any, and says so in the log.
 */
@Injectable()
export class FeedPullRecorder implements OnApplicationShutdown {
  private readonly log = new Logger(FeedPullRecorder.name);
  private buffer: BufferedPull[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Flushes run one after the other: a caller's flush covers everything recorded before it. */
  private queue: Promise<void> = Promise.resolve();
  private failedFlushes = 0;
  private dropped = 0;
  private rejected = 0;
  /** An early flush (a full buffer) is on its way. */
  private urgent = false;
  /** No early flush before this time (ms since the epoch) after a failed one. */
  private retryAt = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  record(pull: FeedPull): void {
    const bad = malformed(pull);
    if (bad !== undefined) {
      this.reject(1, `its ${bad} is not a valid value`);
      return;
    }
    this.buffer.push({ ...pull, at: this.clock.now(), context: currentRequestContext() ?? null });
    if (this.buffer.length > MAX_HELD) this.drop(this.buffer.length - MAX_HELD);
    if (this.buffer.length >= MAX_BUFFER && !this.urgent && monotonicMs() >= this.retryAt) {
      this.urgent = true;
      void this.flush().finally(() => (this.urgent = false));
    } else {
      this.schedule(FLUSH_MS);
    }
  }

  get stats(): FeedPullRecorderStats {
    return {
      pending: this.buffer.length,
      failedFlushes: this.failedFlushes,
      dropped: this.dropped,
      rejected: this.rejected,
    };
  }

  /**
   * Writes everything buffered so far, after any flush in progress (tests, shutdown, and
   * readers that need this instance's pulls in the table call it). Never throws: a batch that
   * cannot be written stays buffered and is retried RETRY_MS later.
   */
  flush(): Promise<void> {
    const run = this.queue.then(() => this.writeBuffered());
    this.queue = run;
    return run;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.flush();
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length > 0) this.drop(this.buffer.length);
  }

  private schedule(delayMs: number): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delayMs).unref();
  }

  private async writeBuffered(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, MAX_BATCH);
      try {
        await this.write(batch);
      } catch (error) {
        // A row PostgreSQL refuses must not block the others behind it forever: the batch is
        // written pull by pull, and only the refused ones are dropped.
        const unwritten = isDataError(error) ? await this.writeOneByOne(batch) : batch;
        if (unwritten.length === 0) continue;
        // Back in front, in order; the next try comes later (or with the next caller's flush).
        this.buffer.unshift(...unwritten);
        this.failedFlushes++;
        this.retryAt = monotonicMs() + RETRY_MS;
        this.log.warn(
          `Could not record ${this.buffer.length} feed pull(s) and their audit events (retrying in ${RETRY_MS / 1000} s): ${String(error)}`,
        );
        this.schedule(RETRY_MS);
        return;
      }
    }
    this.retryAt = 0;
  }

  /**
   * Writes each pull of `batch` in a transaction of its own, dropping (loudly) those refused
   * for their data. Answers the pulls not written because the database failed otherwise
   * (they are retried).
   */
  private async writeOneByOne(batch: BufferedPull[]): Promise<BufferedPull[]> {
    for (const [index, pull] of batch.entries()) {
      try {
        await this.write([pull]);
      } catch (error) {
        if (!isDataError(error)) return batch.slice(index);
        this.reject(1, String(error));
      }
    }
    return [];
  }

  /** One transaction: the pulls' rows and one audit event per pull, or nothing. */
  private async write(batch: BufferedPull[]): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      // No pull claims a version above the committed one, whatever a caller asked for: the
      // version an ISP holds (feed status, compliance, receipts) never runs ahead of the feed.
      await manager.query(
        `INSERT INTO feed_pulls (organization_id, actor_type, actor_id, format, from_version,
                                 to_version, status, bytes, at, sha256)
         SELECT p.organization_id, p.actor_type, p.actor_id, p.format,
                least(p.from_version, v.last), least(p.to_version, v.last),
                p.status, p.bytes, p.at, p.sha256
           FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::bigint[],
                       $6::bigint[], $7::smallint[], $8::bigint[], $9::timestamptz[],
                       $10::text[])
                  AS p(organization_id, actor_type, actor_id, format, from_version, to_version,
                       status, bytes, at, sha256)
          CROSS JOIN ${COMMITTED_FEED_VERSION_SQL} v`,
        [
          batch.map((p) => p.principal.organizationId),
          batch.map((p) => actorType(p.principal)),
          batch.map((p) => p.principal.id),
          batch.map((p) => p.format),
          batch.map((p) => p.fromVersion),
          batch.map((p) => p.toVersion),
          batch.map((p) => p.status),
          batch.map((p) => p.bytes),
          batch.map((p) => p.at),
          batch.map((p) => p.sha256 ?? null),
        ],
      );
      for (const event of pullEvents(batch)) await this.audit.record(manager, event);
    });
  }

  /** Counts and logs `count` pulls refused as malformed. */
  private reject(count: number, reason: string): void {
    this.rejected += count;
    this.log.error(`${count} feed pull(s) not recorded (${this.rejected} in all): ${reason}`);
  }

  /** Drops the `count` oldest pulls, loudly. */
  private drop(count: number): void {
    this.buffer.splice(0, count);
    this.dropped += count;
    this.log.error(
      `${count} feed pull(s) dropped without their feed_pulls row or audit event (${this.dropped} in all): the database refused them`,
    );
  }
}

/**
 * One `feed.pull` event per pull, except that identical 304s of one caller in one flush (same
 * format, versions and client address: a client polling faster than once a second) are one
 * event with their count and last time; the request id is the first one's.
 */
function pullEvents(batch: BufferedPull[]): AuditEventInput[] {
  const events: AuditEventInput[] = [];
  const repeated = new Map<string, { summary: Record<string, unknown>; count: number }>();
  for (const pull of batch) {
    const pulledAt = pull.at.toISOString();
    const key =
      pull.status === 304
        ? [
            pull.principal.id,
            pull.format,
            pull.fromVersion,
            pull.toVersion,
            pull.context?.clientIp,
          ].join(' ')
        : undefined;
    const seen = key === undefined ? undefined : repeated.get(key);
    if (seen) {
      seen.count++;
      seen.summary.count = seen.count;
      seen.summary.lastPulledAt = pulledAt;
      continue;
    }
    const summary: Record<string, unknown> = {
      format: pull.format,
      status: pull.status,
      fromVersion: pull.fromVersion,
      toVersion: pull.toVersion,
      bytes: pull.bytes,
      sha256: pull.sha256 ?? null,
      pulledAt,
    };
    if (key !== undefined) repeated.set(key, { summary, count: 1 });
    events.push({
      actor: pull.principal,
      action: 'feed.pull',
      objectType: 'feed',
      objectId: pull.principal.organizationId,
      summary,
      context: pull.context,
    });
  }
  return events;
}
