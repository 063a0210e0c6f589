import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
  Req,
} from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { CurrentPrincipal, Roles, type Principal } from '#src/identity/index.js';
import { StreamBody, streamedBody } from '#src/platform/http/index.js';
import { ApiProblemResponses } from '#src/platform/openapi/index.js';
import {
  AddUnitNetworksRequest,
  CreateUnitRequest,
  UnitImportResult,
  UnitListQuery,
  UnitPage,
  UnitResponse,
  UpdateUnitRequest,
} from '#src/response/units/dto/unit.dto.js';
import { UnitsService } from '#src/response/units/units.service.js';

const READERS = ['admin', 'analyst', 'approver', 'responder', 'auditor', 'unit_officer'] as const;
const WRITERS = ['admin', 'responder'] as const;

@ApiTags('Units')
@Controller('units')
export class UnitsController {
  constructor(private readonly units: UnitsService) {}

  @Post()
  @Roles(...WRITERS)
  @ApiOperation({
    operationId: 'createUnit',
    summary: 'Create a unit (a commune, office or agency) with its networks and contacts',
    description:
      'Creates the organization (kind `unit`), the unit and its networks at once. Each network (an aligned CIDR, or an address as a /32 or /128) is refused (422 naming `networks[i]` and why) when it overlaps another of the request, another unit’s network (named by short code) or a protected network (named with its list). A short code in use is a 409.',
  })
  @ApiCreatedResponse({ type: UnitResponse })
  @ApiProblemResponses(400, 409, 413, 415, 422)
  create(
    @CurrentPrincipal() caller: Principal,
    @Body() body: CreateUnitRequest,
  ): Promise<UnitResponse> {
    return this.units.create(caller, body);
  }

  @Post('import')
  @HttpCode(201)
  @Roles(...WRITERS)
  @StreamBody()
  @ApiOperation({
    operationId: 'importUnits',
    summary: 'Import units from CSV (up to 5,000), all or nothing',
    description:
      'RFC 4180 CSV with the header `short_code,name,category,district,email,phone,hotline,networks,asns` (networks and ASNs separated by spaces). Every row is checked first (fields, short codes taken or repeated, networks overlapping each other, existing units’ or protected networks): any refusal is a 422 listing `rows[i].field` (rows counted from 0 after the header) and nothing is created; else every unit is created in one transaction.',
  })
  @ApiConsumes('text/csv')
  @ApiBody({
    schema: {
      type: 'string',
      example:
        'short_code,name,category,district,email,phone,hotline,networks,asns\r\nUB-DB,Phường Điện Biên,commune,Ba Đình,it@dienbien.example,,,113.160.12.0/24 2402:800:1234::/48,45899\r\n',
    },
  })
  @ApiCreatedResponse({ type: UnitImportResult })
  @ApiProblemResponses(400, 409, 413, 415, 422)
  import(
    @CurrentPrincipal() caller: Principal,
    @Req() request: FastifyRequest,
    @Headers('content-length') contentLength: string | undefined,
  ): Promise<UnitImportResult> {
    return this.units.importCsv(caller, streamedBody(request), contentLength);
  }

  @Get()
  @Roles(...READERS)
  @ApiOperation({
    operationId: 'listUnits',
    summary: 'List units (a unit officer: their own)',
    description: 'Newest first, by pages; `q` searches names and short codes.',
  })
  @ApiOkResponse({ type: UnitPage })
  @ApiProblemResponses(400)
  list(@CurrentPrincipal() caller: Principal, @Query() query: UnitListQuery): Promise<UnitPage> {
    return this.units.list(caller, query);
  }

  @Get(':id')
  @Roles(...READERS)
  @ApiOperation({
    operationId: 'getUnit',
    summary: 'A unit with its networks (a unit officer: only their own)',
  })
  @ApiOkResponse({ type: UnitResponse })
  @ApiProblemResponses(400, 404)
  get(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<UnitResponse> {
    return this.units.get(caller, id);
  }

  @Patch(':id')
  @Roles(...WRITERS)
  @ApiOperation({
    operationId: 'updateUnit',
    summary: 'Change a unit’s name, category, district, contacts or ASNs',
    description: 'Send the `version` you read; if it changed since, the answer is 409.',
  })
  @ApiOkResponse({ type: UnitResponse })
  @ApiProblemResponses(400, 404, 409, 413, 415)
  update(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: UpdateUnitRequest,
  ): Promise<UnitResponse> {
    return this.units.update(caller, id, body);
  }

  @Post(':id/networks')
  @HttpCode(200)
  @Roles(...WRITERS)
  @ApiOperation({
    operationId: 'addUnitNetworks',
    summary: 'Add networks to a unit',
    description:
      'All or nothing, refused (422 naming `networks[i]`) as at creation; a unit has at most 1000 networks.',
  })
  @ApiOkResponse({ type: UnitResponse })
  @ApiProblemResponses(400, 404, 409, 413, 415, 422)
  addNetworks(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: AddUnitNetworksRequest,
  ): Promise<UnitResponse> {
    return this.units.addNetworks(caller, id, body);
  }

  @Delete(':id/networks/:networkId')
  @HttpCode(204)
  @Roles(...WRITERS)
  @ApiOperation({ operationId: 'removeUnitNetwork', summary: 'Remove a network from a unit' })
  @ApiNoContentResponse()
  @ApiProblemResponses(400, 404)
  removeNetwork(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Param('networkId', ParseUUIDPipe) networkId: string,
  ): Promise<void> {
    return this.units.removeNetwork(caller, id, networkId);
  }
}
