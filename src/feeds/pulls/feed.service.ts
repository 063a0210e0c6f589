import { createHash } from 'node:crypto';
import { HttpStatus, Injectable } from '@nestjs/common';
import type { Principal } from '#src/identity/index.js';
import { Clock } from '#src/platform/clock/index.js';
import { validationProblem } from '#src/platform/problem/index.js';
import {
  DEFAULT_CHANGES_PAGE,
  type ChangesQuery,
  type ChangesResponse,
  type FeedStatusResponse,
} from '#src/feeds/pulls/dto/feed.dto.js';
import { FeedPullRecorder } from '#src/feeds/pulls/feed-pull.recorder.js';
import { FeedVersionWatcher } from '#src/feeds/change-log/feed-version.watcher.js';
import { FeedRepository } from '#src/feeds/pulls/feed.repository.js';

/** A strong ETag for one ISP's answer at one version (same inputs, same bytes). */
export function changesEtag(
  organizationId: string,
  after: number,
  limit: number,
  version: number,
): string {
  const digest = createHash('sha256')
    .update(`changes:${organizationId}:${after}:${limit}:${version}`)
    .digest('base64url')
    .slice(0, 27);
  return `"${digest}"`;
}

export type ChangesAnswer =
  | { status: HttpStatus.NOT_MODIFIED; etag: string }
  | {
      status: HttpStatus.OK;
      etag: string;
      /** The body (a ChangesResponse) serialized once: these exact bytes are sent and hashed (feed receipts). */
      json: string;
    };

@Injectable()
export class FeedService {
  constructor(
    private readonly feed: FeedRepository,
    private readonly watcher: FeedVersionWatcher,
    private readonly pulls: FeedPullRecorder,
    private readonly clock: Clock,
  ) {}

  /**
   * The caller's changes after `after`, up to the committed version (the safe watermark: no
   * change at or below it can still appear). `If-None-Match` equal to the ETag of the version
   * held in memory is a 304 without a query.
   */
  async changes(
    caller: Principal,
    query: ChangesQuery,
    ifNoneMatch?: string,
  ): Promise<ChangesAnswer> {
    const after = query.after ?? 0;
    const limit = query.limit ?? DEFAULT_CHANGES_PAGE;
    const org = caller.organizationId;
    const etag = this.notModified(caller, after, limit, ifNoneMatch);
    if (etag !== undefined) return { status: HttpStatus.NOT_MODIFIED, etag };
    const watermark = await this.feed.watermark();
    this.watcher.observe(watermark);
    if (after > watermark) {
      throw validationProblem([
        { name: 'after', reason: `after is beyond the current feed version ${watermark}` },
      ]);
    }
    const rows = await this.feed.changes(org, after, watermark, limit);
    const more = rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    const next = more ? Number(page.at(-1)!.version) : watermark;
    const body: ChangesResponse = {
      after,
      next,
      more,
      currentVersion: watermark,
      changes: page.map((r) => ({
        version: Number(r.version),
        op: r.op,
        type: r.type,
        value: r.value,
        indicatorId: r.indicator_id,
        reason: r.reason,
        requestId: r.request_id,
        documentNumber: r.document_number,
        at: r.created_at.toISOString(),
      })),
    };
    const json = JSON.stringify(body);
    this.pulls.record({
      principal: caller,
      format: 'changes',
      fromVersion: after,
      toVersion: next,
      status: 200,
      bytes: Buffer.byteLength(json),
      sha256: createHash('sha256').update(json).digest('hex'),
    });
    return { status: HttpStatus.OK, etag: changesEtag(org, after, limit, watermark), json };
  }

  /**
   * The ETag when `If-None-Match` matches the answer at the version held in memory (a 304,
   * recorded in the telemetry), else undefined. No query: the conditional poll's whole cost.
   */
  notModified(
    caller: Principal,
    after: number,
    limit: number,
    ifNoneMatch: string | undefined,
  ): string | undefined {
    const known = this.watcher.current;
    // Never a 304 for a version the feed has not reached (`If-None-Match: *` matches any
    // ETag): the route then refuses it, and no pull claims a version that was never served.
    if (ifNoneMatch === undefined || known < 0 || after > known) return undefined;
    const etag = changesEtag(caller.organizationId, after, limit, known);
    if (!matches(ifNoneMatch, etag)) return undefined;
    this.pulls.record({
      principal: caller,
      format: 'changes',
      fromVersion: after,
      toVersion: after,
      status: 304,
      bytes: 0,
    });
    return etag;
  }

  async status(): Promise<FeedStatusResponse> {
    await this.pulls.flush();
    const [currentVersion, rows] = await Promise.all([this.feed.watermark(), this.feed.status()]);
    const now = this.clock.now().getTime();
    return {
      currentVersion,
      isps: rows.map((r) => ({
        organizationId: r.organization_id,
        shortCode: r.short_code,
        name: r.name,
        lastPullAt: r.last_pull_at?.toISOString() ?? null,
        lastFormat: r.last_format,
        heldVersion: r.held_version === null ? null : Number(r.held_version),
        pendingChanges: r.pending_changes,
        secondsSinceLastPull:
          r.last_pull_at === null
            ? null
            : Math.max(0, Math.round((now - r.last_pull_at.getTime()) / 1000)),
      })),
    };
  }
}

/** RFC 9110 §13.1.2: `*` or a list of entity tags (weak comparison is not allowed for 304 here). */
function matches(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim() === etag);
}
