import { createHash } from 'node:crypto';
import { HttpStatus, Injectable } from '@nestjs/common';
import { tenantScope, type Principal } from '#src/identity/index.js';
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
import { ChangeWaiters } from '#src/feeds/pulls/change-waiters.js';

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

/** One ISP's page of changes at one watermark, serialized once (shared by woken long polls). */
interface ChangesPage {
  after: number;
  next: number;
  watermark: number;
  etag: string;
  json: string;
  bytes: number;
  sha256: string;
  /** No change in it. */
  empty: boolean;
}

@Injectable()
export class FeedService {
  /** Pages being computed for long polls woken together: one query for all of them. */
  private readonly woken = new Map<string, Promise<ChangesPage>>();

  constructor(
    private readonly feed: FeedRepository,
    private readonly watcher: FeedVersionWatcher,
    private readonly pulls: FeedPullRecorder,
    private readonly waiters: ChangeWaiters,
    private readonly clock: Clock,
  ) {}

  /**
   * The caller's changes after `after`, up to the committed version (the safe watermark: no
   * change at or below it can still appear). `If-None-Match` equal to the ETag of the version
   * held in memory is a 304 without a query. With `wait` (and `gone`, the signal that the client
   * went away), an answer that would be empty or a 304 is held until a change of the caller's
   * feed commits, or the wait ends (decision 0017).
   */
  async changes(
    caller: Principal,
    query: ChangesQuery,
    ifNoneMatch?: string,
    gone?: AbortSignal,
  ): Promise<ChangesAnswer> {
    const after = query.after ?? 0;
    const limit = query.limit ?? DEFAULT_CHANGES_PAGE;
    const wait = query.wait ?? 0;
    if (wait === 0 || gone === undefined) {
      const etag = this.notModified(caller, after, limit, ifNoneMatch);
      if (etag !== undefined) return { status: HttpStatus.NOT_MODIFIED, etag };
      return this.answer(caller, await this.page(caller.organizationId, after, limit));
    }
    return this.longPoll(caller, after, limit, wait, ifNoneMatch, gone);
  }

  private async longPoll(
    caller: Principal,
    after: number,
    limit: number,
    wait: number,
    ifNoneMatch: string | undefined,
    gone: AbortSignal,
  ): Promise<ChangesAnswer> {
    const org = caller.organizationId;
    // Held from the version in memory when the caller already has its answer (a 304), else
    // from the watermark its (empty) page was read at.
    let checked = this.matchingVersion(org, after, limit, ifNoneMatch);
    if (checked === undefined) {
      const page = await this.page(org, after, limit);
      if (!page.empty) return this.answer(caller, page, ifNoneMatch);
      checked = page.watermark;
    }
    const ended = await this.waiters.hold(org, checked, wait, gone);
    switch (ended.end) {
      case 'changed':
        return this.answer(
          caller,
          await this.wokenPage(org, after, limit, ended.upTo),
          ifNoneMatch,
        );
      case 'timeout':
      case 'shutdown':
        // No change of this feed up to the version it was checked to (other feeds' changes
        // moved it on): the empty answer at that version, without a query — a thousand polls
        // ending together cost nothing, and nothing fails while the database is away.
        return this.answer(caller, emptyPage(org, after, limit, ended.checked), ifNoneMatch);
      case 'gone':
        // Nobody to answer: nothing recorded.
        return this.answer(caller, emptyPage(org, after, limit, ended.checked), ifNoneMatch, false);
    }
  }

  /** The page read at the committed version; `after` beyond it is the caller's mistake. */
  private async page(org: string, after: number, limit: number): Promise<ChangesPage> {
    const watermark = await this.feed.watermark();
    this.watcher.observe(watermark);
    if (after > watermark) {
      throw validationProblem([
        { name: 'after', reason: `after is beyond the current feed version ${watermark}` },
      ]);
    }
    return this.pageUpTo(org, after, limit, watermark);
  }

  /**
   * The page of long polls woken by the same check (same organization, `after`, `limit` and
   * version checked up to): computed once, its JSON shared. Every change up to `upTo` is
   * committed (the watcher heard of it), so it is the watermark.
   */
  private wokenPage(org: string, after: number, limit: number, upTo: number): Promise<ChangesPage> {
    const key = `${org}:${after}:${limit}:${upTo}`;
    let page = this.woken.get(key);
    if (!page) {
      page = this.pageUpTo(org, after, limit, upTo).finally(() => this.woken.delete(key));
      this.woken.set(key, page);
    }
    return page;
  }

  private async pageUpTo(
    org: string,
    after: number,
    limit: number,
    watermark: number,
  ): Promise<ChangesPage> {
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
        dnsAction: r.dns_action,
        at: r.created_at.toISOString(),
      })),
    };
    return serialized(org, after, limit, watermark, next, body);
  }

  /**
   * The answer to one caller (its pull recorded when `record`): a 304 when `ifNoneMatch` (given
   * by long polls only) matches the page's ETag, else the page.
   */
  private answer(
    caller: Principal,
    page: ChangesPage,
    ifNoneMatch?: string,
    record = true,
  ): ChangesAnswer {
    if (ifNoneMatch !== undefined && matches(ifNoneMatch, page.etag)) {
      if (record) this.recordNotModified(caller, page.after);
      return { status: HttpStatus.NOT_MODIFIED, etag: page.etag };
    }
    if (record) {
      this.pulls.record({
        principal: caller,
        format: 'changes',
        fromVersion: page.after,
        toVersion: page.next,
        status: 200,
        bytes: page.bytes,
        sha256: page.sha256,
      });
    }
    return { status: HttpStatus.OK, etag: page.etag, json: page.json };
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
    const version = this.matchingVersion(caller.organizationId, after, limit, ifNoneMatch);
    if (version === undefined) return undefined;
    this.recordNotModified(caller, after);
    return changesEtag(caller.organizationId, after, limit, version);
  }

  /** The version held in memory when `If-None-Match` matches the answer at it, else undefined. */
  private matchingVersion(
    org: string,
    after: number,
    limit: number,
    ifNoneMatch: string | undefined,
  ): number | undefined {
    const known = this.watcher.current;
    // Never a 304 for a version the feed has not reached (`If-None-Match: *` matches any
    // ETag): the route then refuses it, and no pull claims a version that was never served.
    if (ifNoneMatch === undefined || known < 0 || after > known) return undefined;
    return matches(ifNoneMatch, changesEtag(org, after, limit, known)) ? known : undefined;
  }

  private recordNotModified(caller: Principal, after: number): void {
    this.pulls.record({
      principal: caller,
      format: 'changes',
      fromVersion: after,
      toVersion: after,
      status: 304,
      bytes: 0,
    });
  }

  /** The Department sees every ISP; an ISP's operator or client only its own organization. */
  async status(caller: Principal): Promise<FeedStatusResponse> {
    const scope = tenantScope(caller);
    await this.pulls.flush();
    const [currentVersion, rows] = await Promise.all([
      this.feed.watermark(),
      this.feed.status(scope),
    ]);
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

/** A page serialized once, with its ETag and digest. */
function serialized(
  org: string,
  after: number,
  limit: number,
  watermark: number,
  next: number,
  body: ChangesResponse,
): ChangesPage {
  const json = JSON.stringify(body);
  return {
    after,
    next,
    watermark,
    etag: changesEtag(org, after, limit, watermark),
    json,
    empty: body.changes.length === 0,
    bytes: Buffer.byteLength(json),
    sha256: createHash('sha256').update(json).digest('hex'),
  };
}

/** The page with nothing after `after` up to `watermark` (what an unchanged feed answers). */
function emptyPage(org: string, after: number, limit: number, watermark: number): ChangesPage {
  return serialized(org, after, limit, watermark, watermark, {
    after,
    next: watermark,
    more: false,
    currentVersion: watermark,
    changes: [],
  });
}

/** RFC 9110 §13.1.2: `*` or a list of entity tags (weak comparison is not allowed for 304 here). */
function matches(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim() === etag);
}
