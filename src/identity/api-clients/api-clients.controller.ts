import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiClientsService } from '#src/identity/api-clients/api-clients.service.js';
import {
  ApiClientPage,
  ApiClientResponse,
  ApiClientWithSecretResponse,
  CreateApiClientRequest,
} from '#src/identity/api-clients/dto/api-client.dto.js';
import { Roles } from '#src/identity/auth/access.decorators.js';
import { CurrentPrincipal } from '#src/identity/auth/current-principal.decorator.js';
import type { Principal } from '#src/identity/auth/principal.js';
import { PageQuery } from '#src/platform/pagination/index.js';
import { ApiProblemResponses } from '#src/platform/openapi/index.js';

@ApiTags('Administration')
@Controller('api-clients')
export class ApiClientsController {
  constructor(private readonly clients: ApiClientsService) {}

  @Get()
  @Roles('admin', 'auditor', 'isp_operator')
  @ApiOperation({
    operationId: 'listApiClients',
    summary: 'List ISP API clients',
    description: 'Newest first, by pages. An ISP operator sees their own ISP’s clients.',
  })
  @ApiOkResponse({ type: ApiClientPage })
  @ApiProblemResponses(400)
  list(@CurrentPrincipal() caller: Principal, @Query() query: PageQuery): Promise<ApiClientPage> {
    return this.clients.list(caller, query);
  }

  @Post()
  @Roles('admin')
  @ApiOperation({
    operationId: 'createApiClient',
    summary: 'Create an API client for an ISP',
    description: 'The answer holds the client secret; it is never shown again.',
  })
  @ApiCreatedResponse({ type: ApiClientWithSecretResponse })
  @ApiProblemResponses(400, 413, 415)
  create(
    @CurrentPrincipal() caller: Principal,
    @Body() body: CreateApiClientRequest,
  ): Promise<ApiClientWithSecretResponse> {
    return this.clients.create(caller, body);
  }

  @Get(':id')
  @Roles('admin', 'auditor', 'isp_operator')
  @ApiOperation({ operationId: 'getApiClient', summary: 'Get one API client' })
  @ApiOkResponse({ type: ApiClientResponse })
  @ApiProblemResponses(400, 404)
  get(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<ApiClientResponse> {
    return this.clients.get(caller, id);
  }

  @Post(':id/rotate')
  @HttpCode(200)
  @Roles('admin', 'isp_operator')
  @ApiOperation({
    operationId: 'rotateApiClientSecret',
    summary: 'Give an API client a new secret',
    description:
      'The old secret, and every access token issued before, stop working at once. The answer holds the new secret, shown once.',
  })
  @ApiOkResponse({ type: ApiClientWithSecretResponse })
  @ApiProblemResponses(400, 404, 409)
  rotate(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<ApiClientWithSecretResponse> {
    return this.clients.rotate(caller, id);
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @Roles('admin', 'isp_operator')
  @ApiOperation({
    operationId: 'revokeApiClient',
    summary: 'Revoke an API client',
    description: 'No new tokens; tokens already issued stop working at once.',
  })
  @ApiOkResponse({ type: ApiClientResponse })
  @ApiProblemResponses(400, 404)
  revoke(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<ApiClientResponse> {
    return this.clients.revoke(caller, id);
  }
}
