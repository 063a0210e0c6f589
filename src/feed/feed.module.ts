import { Module } from '@nestjs/common';
import { FeedPullRecorder } from '#src/feed/feed-pull.recorder.js';
import { FeedVersionWatcher } from '#src/feed/feed-version.watcher.js';
import { FeedController } from '#src/feed/feed.controller.js';
import { FeedRepository } from '#src/feed/feed.repository.js';
import { FeedService } from '#src/feed/feed.service.js';
import { SnapshotService } from '#src/feed/snapshot.service.js';

@Module({
  controllers: [FeedController],
  providers: [FeedRepository, FeedService, FeedVersionWatcher, FeedPullRecorder, SnapshotService],
  exports: [FeedVersionWatcher],
})
export class FeedModule {}
