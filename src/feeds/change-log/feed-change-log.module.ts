import { Module } from '@nestjs/common';
import { FeedVersionWatcher } from '#src/feeds/change-log/feed-version.watcher.js';
import { FeedWriter } from '#src/feeds/change-log/feed-writer.js';

/**
 * The feed's change log: its one writer (for publishing, inside the caller's transaction) and
 * the committed version each instance holds in memory (for the pull endpoints).
 */
@Module({
  providers: [FeedWriter, FeedVersionWatcher],
  exports: [FeedWriter, FeedVersionWatcher],
})
export class FeedChangeLogModule {}
