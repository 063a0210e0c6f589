import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { Injectable, Logger } from '@nestjs/common';
import { to as copyTo } from 'pg-copy-streams';
import { DataSource } from 'typeorm';
import { dedicatedClient } from '#src/platform/database/index.js';
import type { Principal } from '#src/identity/index.js';
import { rateLimited, validationProblem } from '#src/platform/problem/index.js';
import { FeedsConfig } from '#src/feeds/feeds.config.js';
import { readFeedVersionOn } from '#src/feeds/change-log/feed-version.js';
import { FeedPullRecorder } from '#src/feeds/pulls/feed-pull.recorder.js';
import { FEED_TYPES, type SnapshotFormat } from '#src/feeds/feed-vocabulary.js';
import type { RpzSettings } from '#src/feeds/snapshots/rpz.js';
import { SNAPSHOT_FORMAT_DESCRIPTIONS } from '#src/feeds/snapshots/formats/snapshot-formats.js';
import { snapshotCopySql } from '#src/feeds/snapshots/snapshot-sql.js';
import { DepartmentIdentityService } from '#src/feeds/snapshots/department-identity.service.js';
import { Clock, monotonicMs } from '#src/platform/clock/index.js';
import { PlatformConfig } from '#src/platform/config/index.js';
import { MetricsService } from '#src/platform/metrics/index.js';

/** Seconds a snapshot refused for want of a slot is told to wait. */
const SLOT_RETRY_AFTER_S = 5;

export interface Snapshot {
  version: number;
  contentType: string;
  gzip: boolean;
  body: Readable;
}

/**
 * Parses `types=domain,ipv4` (a repeated parameter, `types=domain&types=ipv4`, adds to the
 * list); all feed types when absent or empty.
 */
export function parseTypes(raw: string | string[] | undefined): string[] {
  const given = [raw ?? []]
    .flat()
    .flatMap((v) => v.split(','))
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== '');
  if (given.length === 0) return [...FEED_TYPES];
  const types = [...new Set(given)];
  const bad = types.filter((t) => !(FEED_TYPES as readonly string[]).includes(t));
  if (bad.length > 0) {
    throw validationProblem([
      { name: 'types', reason: `unknown type(s) ${bad.join(', ')}; use ${FEED_TYPES.join(', ')}` },
    ]);
  }
  return types;
}

/**
 * Snapshots of an ISP's active set, streamed from PostgreSQL with COPY (constant memory): one
 * REPEATABLE READ transaction reads the version and the rows, so X-Feed-Version is exactly the
 * version the rows are at.
 */
@Injectable()
export class SnapshotService {
  /** Snapshots streaming from this instance: in all, and per organization. */
  private open_ = 0;
  private readonly openBy = new Map<string, number>();
  private readonly log = new Logger(SnapshotService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly pulls: FeedPullRecorder,
    private readonly config: FeedsConfig,
    private readonly identity: DepartmentIdentityService,
    private readonly clock: Clock,
    private readonly platform: PlatformConfig,
    private readonly metrics: MetricsService,
  ) {}

  async open(
    caller: Principal,
    format: SnapshotFormat,
    types: string[],
    acceptEncoding: string | undefined,
  ): Promise<Snapshot> {
    // A connection of its own: a long stream neither holds a pool slot nor meets the pool's
    // query timeout.
    const client = dedicatedClient(this.dataSource, 'snapshot');
    client.on('error', () => undefined); // surfaces through the stream
    const organizationId = caller.organizationId;
    this.takeSlot(organizationId);
    let released = false;
    let stop = (): void => undefined;
    const release = async (commit: boolean): Promise<void> => {
      if (released) return;
      released = true;
      this.freeSlot(organizationId);
      stop();
      if (!commit) {
        // A ROLLBACK would wait behind a COPY cut short: closing the socket ends the
        // transaction at once (the server rolls it back).
        (client as unknown as { connection: { stream: Socket } }).connection.stream.destroy();
        return;
      }
      await client.query('COMMIT').catch(() => undefined);
      await client.end().catch(() => undefined);
    };
    try {
      await client.connect();
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      // A snapshot of millions of rows may take longer than an API statement.
      await client.query(`SET LOCAL statement_timeout = 0`);
      const version = await readFeedVersionOn(client);
      const description = SNAPSHOT_FORMAT_DESCRIPTIONS[format];
      const department = description.needsIdentity ? await this.identity.load(client) : undefined;
      const sql = snapshotCopySql(format, caller.organizationId, types, department?.id);
      const copy = client.query(copyTo(sql));
      const out = new PassThrough();
      let bytes = 0;
      // What the ISP deploys is the uncompressed body: its SHA-256 is what a receipt names.
      const digest = createHash('sha256');
      const count = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          bytes += chunk.length;
          digest.update(chunk);
          callback(null, chunk);
        },
      });
      const gzip = /\bgzip\b/i.test(acceptEncoding ?? '');
      const stages: NodeJS.ReadWriteStream[] = [
        ...description.framing({
          version,
          organizationId: caller.organizationId,
          generatedAt: this.clock.now().toISOString(),
          department,
          rpz: this.rpzSettings(),
        }),
        count,
        ...(gzip ? [createGzip()] : []),
      ];
      pipeline([copy as Readable, ...stages, out])
        .then(async () => {
          // Recorded first: a receipt sent as soon as the body arrived finds it (after a flush).
          this.pulls.record({
            principal: caller,
            format,
            fromVersion: null,
            toVersion: version,
            status: 200,
            bytes,
            sha256: digest.digest('hex'),
          });
          await release(true);
        })
        .catch(async (error: unknown) => {
          out.destroy(error as Error);
          await release(false);
        });
      out.on('close', () => {
        // The client went away: stop reading from PostgreSQL.
        if (!out.readableEnded) copy.destroy();
      });
      stop = this.sendTimeout(out, caller);
      return { version, contentType: description.contentType, gzip, body: out };
    } catch (error) {
      await release(false);
      throw error;
    }
  }

  /**
   * Takes a slot for `organizationId`, or refuses (429) when this instance streams
   * SNAPSHOT_MAX_CONCURRENT snapshots, or the organization SNAPSHOT_MAX_PER_ORGANIZATION. The
   * organization's own cap is checked first: an ISP holding its slots is told so, not that the
   * instance is busy.
   */
  private takeSlot(organizationId: string): void {
    const mine = this.openBy.get(organizationId) ?? 0;
    const perOrganization = this.config.SNAPSHOT_MAX_PER_ORGANIZATION;
    if (mine >= perOrganization) {
      throw rateLimited(
        `Your organization is streaming ${mine} snapshots from this instance, the most it may at once (SNAPSHOT_MAX_PER_ORGANIZATION); finish reading one, then retry`,
        {
          name: 'snapshots-per-organization',
          value: perOrganization,
          retryAfterSeconds: SLOT_RETRY_AFTER_S,
        },
      );
    }
    const perInstance = this.config.SNAPSHOT_MAX_CONCURRENT;
    if (this.open_ >= perInstance) {
      throw rateLimited(
        `${this.open_} snapshots are streaming from this instance, the most it serves at once (SNAPSHOT_MAX_CONCURRENT); retry in a moment`,
        {
          name: 'snapshots-per-instance',
          value: perInstance,
          retryAfterSeconds: SLOT_RETRY_AFTER_S,
        },
      );
    }
    this.open_++;
    this.openBy.set(organizationId, mine + 1);
  }

  private freeSlot(organizationId: string): void {
    this.open_--;
    const left = (this.openBy.get(organizationId) ?? 1) - 1;
    if (left > 0) this.openBy.set(organizationId, left);
    else this.openBy.delete(organizationId);
  }

  /**
   * A client that stops reading holds the stream paused (its socket does not drain): after
   * HTTP_SEND_TIMEOUT_MS of that, the stream is destroyed, which releases the connection.
   */
  private sendTimeout(out: PassThrough, caller: Principal): () => void {
    const timeoutMs = this.platform.HTTP_SEND_TIMEOUT_MS;
    let pausedSince: number | undefined;
    const watchdog = setInterval(
      () => {
        if (out.readableFlowing !== false) {
          pausedSince = undefined;
          return;
        }
        pausedSince ??= monotonicMs();
        if (monotonicMs() - pausedSince < timeoutMs) return;
        clearInterval(watchdog);
        this.metrics.timedOut('send');
        this.log.warn(
          `Snapshot of organization ${caller.organizationId} cut: its client read nothing for ${timeoutMs} ms`,
        );
        out.destroy(new Error('send timeout: the client stopped reading'));
      },
      Math.min(1000, Math.max(50, timeoutMs / 10)),
    );
    watchdog.unref();
    return () => clearInterval(watchdog);
  }

  private rpzSettings(): RpzSettings {
    return {
      ttl: this.config.RPZ_TTL,
      nameServer: this.config.RPZ_NAME_SERVER,
      contact: this.config.RPZ_CONTACT,
      noticeHost: this.config.RPZ_NOTICE_HOST,
    };
  }
}
