import { Controller, Headers, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { CurrentPrincipal, Roles, type Principal } from '#src/identity/index.js';
import { StreamBody, streamedBody } from '#src/platform/http/index.js';
import { ApiProblemResponses } from '#src/platform/openapi/index.js';
import {
  ConnectionsReported,
  ReportConnectionsRequest,
} from '#src/response/units/dto/connection.dto.js';
import { ConnectionsService } from '#src/response/units/connections.service.js';

@ApiTags('Units')
@Controller('connections')
export class ConnectionsController {
  constructor(private readonly connections: ConnectionsService) {}

  @Post()
  @HttpCode(200)
  @Roles('isp_operator', 'isp_client', 'responder')
  @StreamBody()
  @ApiOperation({
    operationId: 'reportConnections',
    summary: 'Report connections to C2s (NetFlow-derived rows), matched to units by network',
    description:
      'Up to 50,000 rows, as JSON `{"rows": [{time, address, c2, count}]}` or CSV with the header `time,address,c2,count`. Every row is checked first (400 naming `rows[i].field`): time an ISO 8601 date-time, not in the future beyond the clock skew (CONNECTIONS_CLOCK_SKEW_S) nor older than CONNECTIONS_MAX_AGE_DAYS; address an IPv4 or IPv6 address; c2 any indicator value (canonicalized as indicators are); count 1–10^9 (default 1). Each address is matched to the unit whose network holds it (longest prefix); rows matching no unit are counted, not refused. Matched rows, summed per (unit, address, C2), go to the units’ cases.',
  })
  @ApiConsumes('application/json', 'text/csv')
  @ApiBody({ type: ReportConnectionsRequest })
  @ApiOkResponse({ type: ConnectionsReported })
  @ApiProblemResponses(400, 409, 413, 415, 422)
  report(
    @CurrentPrincipal() caller: Principal,
    @Req() request: FastifyRequest,
    @Headers('content-length') contentLength: string | undefined,
  ): Promise<ConnectionsReported> {
    return this.connections.report(caller, streamedBody(request), contentLength);
  }
}
