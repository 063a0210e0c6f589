import { Module } from '@nestjs/common';
import { FeedModule } from '#src/feed/feed.module.js';
import { TaxiiAcceptGuard, TaxiiController } from '#src/taxii/taxii.controller.js';
import { TaxiiRepository } from '#src/taxii/taxii.repository.js';
import { TaxiiService } from '#src/taxii/taxii.service.js';

@Module({
  imports: [FeedModule],
  controllers: [TaxiiController],
  providers: [TaxiiRepository, TaxiiService, TaxiiAcceptGuard],
})
export class TaxiiModule {}
