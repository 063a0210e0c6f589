import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { actorType, type Principal } from '#src/auth/principal.js';
import { Clock } from '#src/common/clock/clock.js';

export interface FeedPull {
  principal: Principal;
  format: string;
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

const FLUSH_MS = 1000;
const MAX_BUFFER = 1000;

/**
 * Telemetry of every pull, buffered in memory and written in batches (one INSERT of up to a
 * thousand rows a second), so that answering a poll, a 304 above all, needs no database write.
 */
@Injectable()
export class FeedPullRecorder implements OnApplicationShutdown {
  private readonly log = new Logger(FeedPullRecorder.name);
  private buffer: (FeedPull & { at: Date })[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  record(pull: FeedPull): void {
    this.buffer.push({ ...pull, at: this.clock.now() });
    if (this.buffer.length >= MAX_BUFFER) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS).unref();
  }

  /** Writes what is buffered (tests and shutdown call it). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.buffer;
    this.buffer = [];
    if (batch.length === 0) return;
    try {
      await this.dataSource.query(
        `INSERT INTO feed_pulls (organization_id, actor_type, actor_id, format, from_version,
                                 to_version, status, bytes, at, sha256)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::bigint[],
                              $6::bigint[], $7::smallint[], $8::bigint[], $9::timestamptz[],
                              $10::text[])`,
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
    } catch (error) {
      // Telemetry must not take the feed down; a lost batch is logged.
      this.log.warn(`Could not record ${batch.length} feed pull(s): ${String(error)}`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.flush();
  }
}
