import { Module } from '@nestjs/common';
import { MetricsController } from '#src/platform/metrics/metrics.controller.js';
import { MetricsService } from '#src/platform/metrics/metrics.service.js';

/** CallerCacheStats comes from identity's PrincipalCacheModule (global). */
@Module({
  controllers: [MetricsController],
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MetricsModule {}
