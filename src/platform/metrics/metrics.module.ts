import { Module } from '@nestjs/common';
import { PrincipalCacheModule } from '#src/identity/auth/principal-cache.js';
import { MetricsController } from '#src/platform/metrics/metrics.controller.js';
import { MetricsService } from '#src/platform/metrics/metrics.service.js';

@Module({
  imports: [PrincipalCacheModule],
  controllers: [MetricsController],
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MetricsModule {}
