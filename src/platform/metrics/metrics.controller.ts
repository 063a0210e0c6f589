import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Registry } from 'prom-client';
import { MetricsService } from '#src/platform/metrics/metrics.service.js';
import { Public } from '#src/platform/http/index.js';

@ApiTags('Platform')
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Header('content-type', Registry.PROMETHEUS_CONTENT_TYPE)
  @Header('cache-control', 'no-store')
  @ApiOperation({
    operationId: 'getMetrics',
    summary: 'Prometheus metrics',
    description:
      'Prometheus text exposition format: `http_requests_total` and ' +
      '`http_request_duration_seconds` by route template and status, database pool figures ' +
      '(`db_pool_*`) and Node.js process metrics.',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Metrics in Prometheus text format (version 0.0.4)' })
  metricsText(): Promise<string> {
    return this.metrics.render();
  }
}
