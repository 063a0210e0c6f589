import { Module } from '@nestjs/common';
import { FeedModule } from '#src/feeds/pulls/feed.module.js';
import { TaxiiAcceptGuard, TaxiiController } from '#src/feeds/taxii/taxii.controller.js';
import { TaxiiRepository } from '#src/feeds/taxii/taxii.repository.js';
import { TaxiiService } from '#src/feeds/taxii/taxii.service.js';

@Module({
  imports: [FeedModule],
  controllers: [TaxiiController],
  providers: [TaxiiRepository, TaxiiService, TaxiiAcceptGuard],
})
export class TaxiiModule {}
