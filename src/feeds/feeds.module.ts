import { Module } from '@nestjs/common';
import { FeedChangeLogModule } from '#src/feeds/change-log/feed-change-log.module.js';
import { FeedModule } from '#src/feeds/pulls/feed.module.js';
import { TaxiiModule } from '#src/feeds/taxii/taxii.module.js';

/**
 * The feeds context: the change log and its version (written by publishing through
 * FeedWriter), the snapshots and change pages ISPs pull, and the TAXII 2.1 server.
 */
@Module({
  imports: [FeedChangeLogModule, FeedModule, TaxiiModule],
})
export class FeedsModule {}
