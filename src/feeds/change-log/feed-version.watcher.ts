import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type pg from 'pg';
import { DataSource } from 'typeorm';
import { dedicatedClient } from '#src/platform/database/index.js';
import { FEED_VERSION_CHANNEL, readFeedVersion } from '#src/feeds/change-log/feed-version.js';

const POLL_MS = 1000;

/**
 * The last committed feed version, held in memory so that "nothing changed" can be answered
 * without a query. Refreshed by LISTEN/NOTIFY (FeedWriter notifies at commit) on a connection
 * of its own, and by a short poll that covers a lost connection or notification; several
 * instances each keep their own, all fed by the same notifications.
 */
@Injectable()
export class FeedVersionWatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(FeedVersionWatcher.name);
  private version = -1;
  private listener: pg.Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly listeners = new Set<(version: number) => void>();

  constructor(private readonly dataSource: DataSource) {}

  /** The latest committed version known here (−1 until the first read). */
  get current(): number {
    return this.version;
  }

  /** Raises the known version (never lowers it); listeners hear of each rise. */
  observe(version: number): void {
    if (version <= this.version) return;
    this.version = version;
    for (const listener of this.listeners) {
      try {
        listener(version);
      } catch (error) {
        this.log.error(`a feed version listener failed: ${String(error)}`);
      }
    }
  }

  /**
   * Calls `listener` with the new version each time the known version rises (a NOTIFY, the
   * poll, or a read by a pull), synchronously: it must only take note and return. Answers the
   * function that removes it.
   */
  onRise(listener: (version: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reads the committed version now. */
  async refresh(): Promise<number> {
    this.observe(await readFeedVersion(this.dataSource));
    return this.version;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.refresh();
    void this.listen();
    this.timer = setInterval(() => {
      this.refresh().catch(() => undefined); // the database may be down; the next tick retries
    }, POLL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.listener?.end().catch(() => undefined);
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = dedicatedClient(this.dataSource, 'listen');
    this.listener = client;
    const retry = (): void => {
      if (this.listener !== client || this.stopped) return;
      this.listener = undefined;
      client.end().catch(() => undefined);
      setTimeout(() => void this.listen(), 2000).unref();
    };
    client.on('error', retry);
    client.on('end', retry);
    client.on('notification', (message) => {
      const version = Number(message.payload);
      if (Number.isSafeInteger(version)) this.observe(version);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${FEED_VERSION_CHANNEL}`);
    } catch (error) {
      this.log.debug(`LISTEN ${FEED_VERSION_CHANNEL} failed, retrying: ${String(error)}`);
      retry();
    }
  }
}
