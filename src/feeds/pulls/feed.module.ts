import { Module } from '@nestjs/common';
import { AuthModule } from '#src/auth/auth.module.js';
import { ConditionalPoll } from '#src/feed/conditional-poll.js';
import { DepartmentIdentityService } from '#src/feed/department-identity.service.js';
import { FeedPullRecorder } from '#src/feed/feed-pull.recorder.js';
import { FeedVersionWatcher } from '#src/feed/feed-version.watcher.js';
import { FeedController } from '#src/feed/feed.controller.js';
import { FeedRepository } from '#src/feed/feed.repository.js';
import { FeedService } from '#src/feed/feed.service.js';
import { SnapshotService } from '#src/feed/snapshot.service.js';

@Module({
  imports: [AuthModule],
  controllers: [FeedController],
  providers: [
    ConditionalPoll,
    DepartmentIdentityService,
    FeedRepository,
    FeedService,
    FeedVersionWatcher,
    FeedPullRecorder,
    SnapshotService,
  ],
  exports: [ConditionalPoll, FeedVersionWatcher, DepartmentIdentityService, FeedPullRecorder],
})
export class FeedModule {}
