import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles, CurrentPrincipal, type Principal } from '#src/identity/index.js';
import {
  CreateIndicatorRequest,
  IndicatorDetail,
  IndicatorListQuery,
  IndicatorPage,
  IndicatorResponse,
  ProtectionOverrideRequest,
  RevokeIndicatorRequest,
  UpdateIndicatorRequest,
} from '#src/publishing/indicators/dto/indicator.dto.js';
import { IndicatorsService } from '#src/publishing/indicators/indicators.service.js';
import { ApiProblemResponses } from '#src/platform/openapi/index.js';

/** Indicators are the Department's working material; ISPs receive them through feeds. */
const READERS = ['admin', 'analyst', 'approver', 'auditor'] as const;

@ApiTags('Indicators')
@Controller('indicators')
export class IndicatorsController {
  constructor(private readonly indicators: IndicatorsService) {}

  @Get()
  @Roles(...READERS)
  @ApiOperation({
    operationId: 'listIndicators',
    summary: 'Search indicators',
    description: 'Newest first, by pages; filters combine with AND.',
  })
  @ApiOkResponse({ type: IndicatorPage })
  @ApiProblemResponses(400)
  list(@Query() query: IndicatorListQuery): Promise<IndicatorPage> {
    return this.indicators.list(query);
  }

  @Post()
  @Roles('analyst')
  @ApiOperation({
    operationId: 'createIndicator',
    summary: 'Create one indicator',
    description:
      'The value is canonicalized (IDN to A-label, lower case, RFC 5952, aligned networks, normalized URLs); garbage is refused with the reason. 409 with `existingId` if it exists.',
  })
  @ApiCreatedResponse({ type: IndicatorResponse })
  @ApiProblemResponses(400, 409, 413, 415)
  create(
    @CurrentPrincipal() caller: Principal,
    @Body() body: CreateIndicatorRequest,
  ): Promise<IndicatorResponse> {
    return this.indicators.create(caller, body);
  }

  @Get(':id')
  @Roles(...READERS)
  @ApiOperation({
    operationId: 'getIndicator',
    summary: 'Get one indicator, the requests that include it and its status history',
  })
  @ApiOkResponse({ type: IndicatorDetail })
  @ApiProblemResponses(400, 404)
  get(@Param('id', ParseUUIDPipe) id: string): Promise<IndicatorDetail> {
    return this.indicators.get(id);
  }

  @Patch(':id')
  @Roles('analyst')
  @ApiOperation({
    operationId: 'updateIndicator',
    summary: 'Change an indicator’s attributes (not its value)',
    description: 'Send the `version` you read; if it changed since, the answer is 409.',
  })
  @ApiOkResponse({ type: IndicatorResponse })
  @ApiProblemResponses(400, 404, 409, 415)
  update(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: UpdateIndicatorRequest,
  ): Promise<IndicatorResponse> {
    return this.indicators.update(caller, id, body);
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @Roles('analyst', 'approver')
  @ApiOperation({
    operationId: 'revokeIndicator',
    summary: 'Revoke an indicator: every ISP that has it gets a remove change',
  })
  @ApiOkResponse({ type: IndicatorDetail })
  @ApiProblemResponses(400, 404, 409, 415)
  revoke(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: RevokeIndicatorRequest,
  ): Promise<IndicatorDetail> {
    return this.indicators.revoke(caller, id, body);
  }

  @Post(':id/protection-override')
  @HttpCode(200)
  @Roles('approver')
  @ApiOperation({
    operationId: 'overrideProtection',
    summary: 'Allow a protected indicator to be published, with a written reason',
    description:
      'Only for an indicator that matches a protected list (409 otherwise). The matches and the reason are recorded and audited.',
  })
  @ApiOkResponse({ type: IndicatorDetail })
  @ApiProblemResponses(400, 404, 409, 415)
  overrideProtection(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: ProtectionOverrideRequest,
  ): Promise<IndicatorDetail> {
    return this.indicators.overrideProtection(caller, id, body);
  }
}
