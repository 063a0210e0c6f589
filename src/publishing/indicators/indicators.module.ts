import { Module } from '@nestjs/common';
import { FeedWriter } from '#src/feed/feed-writer.js';
import { ExpiryJob } from '#src/indicators/expiry.job.js';
import { IndicatorsController } from '#src/indicators/indicators.controller.js';
import { IndicatorsRepository } from '#src/indicators/indicators.repository.js';
import { IndicatorsService } from '#src/indicators/indicators.service.js';
import { ProtectedListsModule } from '#src/protected-lists/protected-lists.module.js';

@Module({
  imports: [ProtectedListsModule],
  controllers: [IndicatorsController],
  providers: [IndicatorsRepository, IndicatorsService, FeedWriter, ExpiryJob],
  exports: [IndicatorsRepository, FeedWriter, ExpiryJob],
})
export class IndicatorsModule {}
