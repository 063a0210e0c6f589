import { csvDownloadHeaders } from '#src/platform/csv/index.js';
import { Body, Controller, Get, Post, Query, Res } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Roles, CurrentPrincipal, type Principal } from '#src/identity/index.js';
import { ApiProblemResponses } from '#src/platform/openapi/index.js';
import {
  CreateSightingsRequest,
  SightingListQuery,
  SightingPage,
  SightingsCreated,
  SightingSummary,
  SightingSummaryQuery,
} from '#src/obligations/sightings/dto/sighting.dto.js';
import { SightingsService } from '#src/obligations/sightings/sightings.service.js';

const SUMMARY_CSV = 'sightings-summary.csv';
const READERS = ['admin', 'analyst', 'approver', 'auditor', 'isp_operator', 'isp_client'] as const;

@ApiTags('Sightings')
@Controller('sightings')
export class SightingsController {
  constructor(private readonly sightings: SightingsService) {}

  @Post()
  @Roles('isp_operator', 'isp_client')
  @ApiOperation({
    operationId: 'reportSightings',
    summary: 'Report sightings: hits on indicators your feed carried, by network or customer',
    description:
      'Up to 1000 sightings, all or nothing: a bad item is named in `invalid-params` (`sightings[i].field`) and nothing is recorded. The indicator is given by id or by value (canonicalized as indicators are) and must be one your feed has carried (422 otherwise). lastSeen is not in the future; firstSeen is not after lastSeen; the network is an IP address or an aligned CIDR.',
  })
  @ApiCreatedResponse({ type: SightingsCreated })
  @ApiProblemResponses(400, 413, 415, 422)
  report(
    @CurrentPrincipal() caller: Principal,
    @Body() body: CreateSightingsRequest,
  ): Promise<SightingsCreated> {
    return this.sightings.report(caller, body);
  }

  @Get()
  @Roles(...READERS)
  @ApiOperation({
    operationId: 'listSightings',
    summary: 'List sightings (an ISP: its own)',
    description:
      'Newest first, by pages. `network` selects sightings whose network lies within the given network; `from`/`to` apply to lastSeen.',
  })
  @ApiOkResponse({ type: SightingPage })
  @ApiProblemResponses(400)
  list(
    @CurrentPrincipal() caller: Principal,
    @Query() query: SightingListQuery,
  ): Promise<SightingPage> {
    return this.sightings.list(caller, query);
  }

  @Get('summary')
  @Roles(...READERS)
  @ApiOperation({
    operationId: 'summarizeSightings',
    summary: 'Units with connections to indicators: per network/customer and reporting ISP',
    description:
      'Per (network, customer, reporting ISP): the indicators contacted, the sightings, their total count, first and last seen; most hits first. `tag=botnet` keeps indicators tagged botnet. `format=csv` answers text/csv. An ISP sees its own only.',
  })
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ type: SightingSummary })
  @ApiProblemResponses(400)
  async summary(
    @CurrentPrincipal() caller: Principal,
    @Query() query: SightingSummaryQuery,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SightingSummary | string> {
    if (query.format !== 'csv') return this.sightings.summary(caller, query);
    const body = await this.sightings.exportSummary(caller, query, SUMMARY_CSV);
    void reply.headers(csvDownloadHeaders(SUMMARY_CSV));
    return body;
  }
}
