import { Module } from '@nestjs/common';
import { MetricsController } from '#src/metrics/metrics.controller.js';
import { MetricsService } from '#src/metrics/metrics.service.js';

@Module({
  controllers: [MetricsController],
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MetricsModule {}
