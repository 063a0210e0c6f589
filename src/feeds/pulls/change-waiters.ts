import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { monotonicMs } from '#src/platform/clock/index.js';
import { rateLimited } from '#src/platform/problem/index.js';
import { MetricsService } from '#src/platform/metrics/index.js';
import { FeedsConfig } from '#src/feeds/feeds.config.js';
import { FeedVersionWatcher } from '#src/feeds/change-log/feed-version.watcher.js';
import { FeedRepository } from '#src/feeds/pulls/feed.repository.js';

/** How a held long poll ends. */
export type WaitEnd =
  /** A change of the organization's feed committed in (checked, upTo]. */
  | { end: 'changed'; upTo: number }
  /** The wait ran out, the instance is shutting down, or the client went away. */
  | {
      end: 'timeout' | 'shutdown' | 'gone';
      /** The version the organization's feed was checked up to: nothing for it until there. */
      checked: number;
    };

interface Waiter {
  readonly organizationId: string;
  /** The version up to which this organization's feed is known to hold nothing new for it. */
  checked: number;
  settle(end: WaitEnd): void;
}

/** Retry-After of a refused long poll: a held one ends within the longest wait. */
const SLOT_RETRY_AFTER_S = 5;
/** After a failed check (database down), the next one. */
const RETRY_CHECK_MS = 1000;

/**
 * The long polls of the change feed held on this instance (decision 0017). A held request costs
 * a timer and an entry here: no database connection, no query of its own. When the
 * FeedVersionWatcher's version rises (NOTIFY or its poll), one query asks which waiting
 * organizations have a change in the versions not yet checked for them; those are woken, the
 * others are marked checked up to the new version. Never more than one check runs; a rise
 * during a check makes one more after it.
 */
@Injectable()
export class ChangeWaiters implements OnModuleInit, BeforeApplicationShutdown {
  private readonly log = new Logger(ChangeWaiters.name);
  private readonly waiters = new Set<Waiter>();
  private readonly heldBy = new Map<string, number>();
  private checking = false;
  private lastFailureLogged = -Infinity;
  private again = false;
  private closing = false;
  private retry: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly watcher: FeedVersionWatcher,
    private readonly feed: FeedRepository,
    private readonly config: FeedsConfig,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.watcher.onRise(() => this.kick());
    this.metrics.gauge(
      'feed_change_waits',
      'Long polls of the change feed (wait=) held on this instance',
      () => this.waiters.size,
    );
  }

  /** Held requests on this instance. */
  get size(): number {
    return this.waiters.size;
  }

  /** Held requests of one organization on this instance. */
  heldFor(organizationId: string): number {
    return this.heldBy.get(organizationId) ?? 0;
  }

  /**
   * Holds until a change of `organizationId`'s feed commits above `checked`, for at most
   * `seconds`, or until `signal` aborts (the client went away) or the instance shuts down.
   * Refuses (429) beyond FEED_WAIT_MAX_PER_ORGANIZATION or FEED_WAIT_MAX.
   */
  hold(
    organizationId: string,
    checked: number,
    seconds: number,
    signal: AbortSignal,
  ): Promise<WaitEnd> {
    if (this.closing) return Promise.resolve({ end: 'shutdown', checked });
    if (signal.aborted) return Promise.resolve({ end: 'gone', checked });
    this.takeSlot(organizationId);
    return new Promise<WaitEnd>((resolve) => {
      const onAbort = (): void => waiter.settle({ end: 'gone', checked: waiter.checked });
      const timer = setTimeout(
        () => waiter.settle({ end: 'timeout', checked: waiter.checked }),
        seconds * 1000,
      );
      const waiter: Waiter = {
        organizationId,
        checked,
        settle: (end) => {
          if (!this.waiters.delete(waiter)) return;
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          this.releaseSlot(organizationId);
          resolve(end);
        },
      };
      this.waiters.add(waiter);
      signal.addEventListener('abort', onAbort, { once: true });
      // The version may have risen between the caller's read and now: check at once.
      if (this.watcher.current > checked) this.kick();
    });
  }

  /** Every held request is answered now (before the HTTP server waits for them to finish). */
  beforeApplicationShutdown(): void {
    this.closing = true;
    this.unsubscribe?.();
    clearTimeout(this.retry);
    for (const waiter of [...this.waiters]) {
      waiter.settle({ end: 'shutdown', checked: waiter.checked });
    }
  }

  private takeSlot(organizationId: string): void {
    const mine = this.heldFor(organizationId);
    const perOrganization = this.config.FEED_WAIT_MAX_PER_ORGANIZATION;
    if (mine >= perOrganization) {
      throw rateLimited(
        `Your organization has ${mine} long polls of the change feed held on this instance, the most it may (FEED_WAIT_MAX_PER_ORGANIZATION); poll without wait, or retry later`,
        {
          name: 'feed-waits-per-organization',
          value: perOrganization,
          retryAfterSeconds: SLOT_RETRY_AFTER_S,
        },
      );
    }
    const perInstance = this.config.FEED_WAIT_MAX;
    if (this.waiters.size >= perInstance) {
      throw rateLimited(
        `${this.waiters.size} long polls of the change feed are held on this instance, the most it holds (FEED_WAIT_MAX); poll without wait, or retry later`,
        {
          name: 'feed-waits-per-instance',
          value: perInstance,
          retryAfterSeconds: SLOT_RETRY_AFTER_S,
        },
      );
    }
    this.heldBy.set(organizationId, mine + 1);
  }

  private releaseSlot(organizationId: string): void {
    const left = this.heldFor(organizationId) - 1;
    if (left > 0) this.heldBy.set(organizationId, left);
    else this.heldBy.delete(organizationId);
  }

  private kick(): void {
    if (this.waiters.size === 0 || this.closing) return;
    if (this.checking) {
      this.again = true;
      return;
    }
    this.checking = true;
    void this.run();
  }

  private async run(): Promise<void> {
    try {
      do {
        this.again = false;
        await this.check();
      } while (this.again && !this.closing);
    } catch (error) {
      // The database may be down: the waiters keep waiting, and the check is tried again
      // (said once a minute at most, not at every retry).
      const now = monotonicMs();
      if (now - this.lastFailureLogged >= 60_000) {
        this.lastFailureLogged = now;
        this.log.warn(
          `checking the held long polls failed (retried every second): ${String(error)}`,
        );
      }
      clearTimeout(this.retry);
      this.retry = setTimeout(() => this.kick(), RETRY_CHECK_MS);
      this.retry.unref();
    } finally {
      this.checking = false;
    }
  }

  /** One query for every waiter behind the known version: wakes those whose feed changed. */
  private async check(): Promise<void> {
    const upTo = this.watcher.current;
    const groups = new Map<string, Waiter[]>();
    for (const waiter of this.waiters) {
      if (waiter.checked >= upTo) continue;
      const key = `${waiter.organizationId}:${waiter.checked}`;
      const group = groups.get(key);
      if (group) group.push(waiter);
      else groups.set(key, [waiter]);
    }
    if (groups.size === 0) return;
    const behind = [...groups.values()];
    const changed = new Set(
      await this.feed.feedsChanged(
        behind.map(([w]) => ({ organizationId: w.organizationId, after: w.checked })),
        upTo,
      ),
    );
    behind.forEach((group, i) => {
      for (const waiter of group) {
        if (changed.has(i)) waiter.settle({ end: 'changed', upTo });
        else waiter.checked = Math.max(waiter.checked, upTo);
      }
    });
  }
}
