import { Module } from '@nestjs/common';
import { AuthModule } from '#src/identity/index.js';
import { ChangeWaiters } from '#src/feeds/pulls/change-waiters.js';
import { ConditionalPoll } from '#src/feeds/pulls/conditional-poll.js';
import { DepartmentIdentityService } from '#src/feeds/snapshots/department-identity.service.js';
import { FeedPullRecorder } from '#src/feeds/pulls/feed-pull.recorder.js';
import { FeedChangeLogModule } from '#src/feeds/change-log/feed-change-log.module.js';
import { FeedController } from '#src/feeds/pulls/feed.controller.js';
import { FeedRepository } from '#src/feeds/pulls/feed.repository.js';
import { FeedService } from '#src/feeds/pulls/feed.service.js';
import { MetricsModule } from '#src/platform/metrics/index.js';
import { SnapshotService } from '#src/feeds/snapshots/snapshot.service.js';

@Module({
  imports: [AuthModule, FeedChangeLogModule, MetricsModule],
  controllers: [FeedController],
  providers: [
    ChangeWaiters,
    ConditionalPoll,
    DepartmentIdentityService,
    FeedRepository,
    FeedService,
    FeedPullRecorder,
    SnapshotService,
  ],
  exports: [ConditionalPoll, FeedChangeLogModule, DepartmentIdentityService, FeedPullRecorder],
})
export class FeedModule {}
