import { Module } from '@nestjs/common';
import { FeedChangeLogModule } from '#src/feeds/index.js';
import { ExpiryJob } from '#src/publishing/indicators/expiry.job.js';
import { IndicatorsController } from '#src/publishing/indicators/indicators.controller.js';
import { IndicatorsRepository } from '#src/publishing/indicators/indicators.repository.js';
import { IndicatorsService } from '#src/publishing/indicators/indicators.service.js';
import { ProtectedListsModule } from '#src/publishing/protected-lists/protected-lists.module.js';

@Module({
  imports: [FeedChangeLogModule, ProtectedListsModule],
  controllers: [IndicatorsController],
  providers: [IndicatorsRepository, IndicatorsService, ExpiryJob],
  exports: [IndicatorsRepository, ExpiryJob],
})
export class IndicatorsModule {}
