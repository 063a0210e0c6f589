import { Module } from '@nestjs/common';
import { PrincipalCacheModule } from '#src/auth/principal-cache.js';
import { MetricsController } from '#src/metrics/metrics.controller.js';
import { MetricsService } from '#src/metrics/metrics.service.js';

@Module({
  imports: [PrincipalCacheModule],
  controllers: [MetricsController],
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MetricsModule {}
