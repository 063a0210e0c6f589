import { Module } from '@nestjs/common';
import { BlockingRequestsModule } from '#src/publishing/blocking-requests/blocking-requests.module.js';
import { ImportsModule } from '#src/publishing/imports/imports.module.js';
import { IndicatorsModule } from '#src/publishing/indicators/indicators.module.js';
import { ProtectedListsModule } from '#src/publishing/protected-lists/protected-lists.module.js';

/**
 * The publishing context: what the Department publishes (indicators, protected lists, bulk
 * imports, blocking requests and their lifecycle).
 */
@Module({
  imports: [ProtectedListsModule, IndicatorsModule, BlockingRequestsModule, ImportsModule],
})
export class PublishingModule {}
