import { Module } from '@nestjs/common';
import { FeedWriter } from '#src/feeds/change-log/feed-writer.js';
import { ExpiryJob } from '#src/publishing/indicators/expiry.job.js';
import { IndicatorsController } from '#src/publishing/indicators/indicators.controller.js';
import { IndicatorsRepository } from '#src/publishing/indicators/indicators.repository.js';
import { IndicatorsService } from '#src/publishing/indicators/indicators.service.js';
import { ProtectedListsModule } from '#src/publishing/protected-lists/protected-lists.module.js';

@Module({
  imports: [ProtectedListsModule],
  controllers: [IndicatorsController],
  providers: [IndicatorsRepository, IndicatorsService, FeedWriter, ExpiryJob],
  exports: [IndicatorsRepository, FeedWriter, ExpiryJob],
})
export class IndicatorsModule {}
