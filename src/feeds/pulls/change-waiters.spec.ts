import { describe, expect, it } from '@jest/globals';
import { ChangeWaiters } from '#src/feeds/pulls/change-waiters.js';
import type { FeedRepository, WaitingFeed } from '#src/feeds/pulls/feed.repository.js';
import type { FeedVersionWatcher } from '#src/feeds/change-log/feed-version.watcher.js';
import type { FeedsConfig } from '#src/feeds/feeds.config.js';
import type { MetricsService } from '#src/platform/metrics/index.js';
import { ProblemException } from '#src/platform/problem/index.js';

/** The watcher as ChangeWaiters sees it: a version that rises, and its listeners. */
class FakeWatcher {
  current = 10;
  private readonly listeners = new Set<(version: number) => void>();
  onRise(listener: (version: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  rise(to: number): void {
    this.current = to;
    for (const listener of this.listeners) listener(to);
  }
}

function waiters(limits: { perOrganization: number; total: number }) {
  const watcher = new FakeWatcher();
  const asked: { waiting: WaitingFeed[]; upTo: number }[] = [];
  /** The organizations whose feed changed in every version range asked about. */
  const changed = new Set<string>();
  const feed = {
    feedsChanged: (waiting: readonly WaitingFeed[], upTo: number) => {
      asked.push({ waiting: [...waiting], upTo });
      return Promise.resolve(waiting.flatMap((w, i) => (changed.has(w.organizationId) ? [i] : [])));
    },
  } as unknown as FeedRepository;
  const config = {
    FEED_WAIT_MAX_PER_ORGANIZATION: limits.perOrganization,
    FEED_WAIT_MAX: limits.total,
  } as FeedsConfig;
  const metrics = { gauge: () => undefined } as unknown as MetricsService;
  const w = new ChangeWaiters(watcher as unknown as FeedVersionWatcher, feed, config, metrics);
  w.onModuleInit();
  return { w, watcher, asked, changed };
}

const ORG_A = '00000000-0000-4000-8000-00000000000a';
const ORG_B = '00000000-0000-4000-8000-00000000000b';
const ORG_C = '00000000-0000-4000-8000-00000000000c';

describe('ChangeWaiters', () => {
  it('refuses beyond FEED_WAIT_MAX on the instance (429 naming the limit), whatever the organization', async () => {
    const { w } = waiters({ perOrganization: 5, total: 2 });
    const stop = new AbortController();
    const held = [w.hold(ORG_A, 10, 30, stop.signal), w.hold(ORG_B, 10, 30, stop.signal)];
    let refused: unknown;
    try {
      void w.hold(ORG_C, 10, 30, stop.signal);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(ProblemException);
    expect(refused).toMatchObject({
      extensions: { limit: 'feed-waits-per-instance', limitValue: 2 },
      headers: { 'retry-after': '5' },
    });
    expect((refused as ProblemException).getStatus()).toBe(429);
    stop.abort();
    expect(await Promise.all(held)).toEqual([
      { end: 'gone', checked: 10 },
      { end: 'gone', checked: 10 },
    ]);
    expect(w.size).toBe(0);
    expect(w.heldFor(ORG_A)).toBe(0);
  });

  it('wakes only the organization whose feed changed; the others end at the version checked', async () => {
    const { w, watcher, asked, changed } = waiters({ perOrganization: 5, total: 10 });
    const stop = new AbortController();
    const a = w.hold(ORG_A, 10, 1, stop.signal);
    const b = w.hold(ORG_B, 10, 1, stop.signal);
    changed.add(ORG_A);
    watcher.rise(12);
    expect(await a).toEqual({ end: 'changed', upTo: 12 });
    // B had no change up to 12: its wait ends with the empty answer at 12, without a query.
    expect(await b).toEqual({ end: 'timeout', checked: 12 });
    // One question for both, about (10, 12].
    expect(asked).toEqual([
      {
        waiting: [
          { organizationId: ORG_A, after: 10 },
          { organizationId: ORG_B, after: 10 },
        ],
        upTo: 12,
      },
    ]);
    expect(w.size).toBe(0);
  });
});
