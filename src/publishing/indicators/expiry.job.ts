import { PeriodicRun } from '#src/platform/jobs/index.js';
import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditLog } from '#src/platform/audit-log/index.js';
import { Clock } from '#src/platform/clock/index.js';
import { PublishingConfig } from '#src/publishing/publishing.config.js';
import { FeedWriter } from '#src/feeds/index.js';
import { IndicatorsRepository } from '#src/publishing/indicators/indicators.repository.js';

const BATCH = 10000;

export interface ExpiryRun {
  expired: number;
  removed: number;
}

/**
 * Indicators whose valid_until has passed become `expired`, and every ISP that had them gets a
 * `remove` change. Idempotent (only `active` rows move, under row locks) and safe with several
 * instances: rows are claimed with FOR UPDATE SKIP LOCKED and feed writes are serialized by
 * the version counter, so a row is expired, and its removals written, exactly once.
 */
@Injectable()
export class ExpiryJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(ExpiryJob.name);
  private readonly periodic = new PeriodicRun('Expiry run', this.log);

  constructor(
    private readonly dataSource: DataSource,
    private readonly indicators: IndicatorsRepository,
    private readonly feed: FeedWriter,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly config: PublishingConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.periodic.start(this.config.EXPIRY_INTERVAL_S * 1000, () => this.runOnce());
  }

  onApplicationShutdown(): Promise<void> {
    return this.periodic.stop();
  }

  /** Expires everything due at the clock's now, in batches; returns what it did. */
  async runOnce(): Promise<ExpiryRun> {
    const total: ExpiryRun = { expired: 0, removed: 0 };
    for (;;) {
      const now = this.clock.now();
      const batch = await this.dataSource.transaction(async (manager) => {
        // Feed lock first, then the rows (FOR NO KEY UPDATE, so that foreign keys from feed
        // rows written by others never wait on them): no lock-order inversion with publication.
        await this.feed.lock(manager);
        const due = await this.indicators.lockDueForExpiry(manager, now, BATCH);
        if (due.length === 0) return { expired: 0, removed: 0 };
        const expired = await this.indicators.transition(
          manager,
          due,
          'active',
          'expired',
          'valid_until reached',
          null,
        );
        const feed = await this.feed.retire(manager, expired, 'expiry');
        await this.audit.record(manager, {
          actor: 'system',
          action: 'indicator.expire',
          objectType: 'indicator',
          objectId: null,
          summary: {
            from: 'active',
            to: 'expired',
            count: expired.length,
            removed: feed.removed,
            at: now.toISOString(),
          },
        });
        return { expired: expired.length, removed: feed.removed };
      });
      total.expired += batch.expired;
      total.removed += batch.removed;
      if (batch.expired < BATCH) return total;
    }
  }
}
