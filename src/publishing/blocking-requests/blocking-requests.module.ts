import { Module } from '@nestjs/common';
import { FeedChangeLogModule } from '#src/feeds/index.js';
import { BlockingRequestsController } from '#src/publishing/blocking-requests/blocking-requests.controller.js';
import { BlockingRequestsRepository } from '#src/publishing/blocking-requests/blocking-requests.repository.js';
import { BlockingRequestsService } from '#src/publishing/blocking-requests/blocking-requests.service.js';
import { PublishedRequests } from '#src/publishing/blocking-requests/published-requests.service.js';
import { IndicatorsModule } from '#src/publishing/indicators/indicators.module.js';
import { ProtectedListsModule } from '#src/publishing/protected-lists/protected-lists.module.js';

@Module({
  imports: [FeedChangeLogModule, IndicatorsModule, ProtectedListsModule],
  controllers: [BlockingRequestsController],
  providers: [BlockingRequestsRepository, BlockingRequestsService, PublishedRequests],
  exports: [BlockingRequestsService, PublishedRequests],
})
export class BlockingRequestsModule {}
