import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '#src/platform/http/index.js';
import { ApiProblemResponses } from '#src/platform/openapi/index.js';
import { HealthResponse } from '#src/platform/health/health.dto.js';
import { HealthService } from '#src/platform/health/health.service.js';

@ApiTags('Platform')
@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('live')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    operationId: 'getLiveness',
    summary: 'Liveness probe',
    description: 'Answers 200 while the process runs; it checks no dependency.',
  })
  @ApiOkResponse({ type: HealthResponse })
  live(): HealthResponse {
    return this.health.live();
  }

  @Get('ready')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    operationId: 'getReadiness',
    summary: 'Readiness probe',
    description:
      'Answers 200 when the database answers a query within 2 s; 503 problem+json with ' +
      '`Retry-After` otherwise.',
  })
  @ApiOkResponse({ type: HealthResponse })
  @ApiProblemResponses(503)
  ready(): Promise<HealthResponse> {
    return this.health.ready();
  }
}
