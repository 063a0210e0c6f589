import { Body, Controller, Get, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '#src/identity/auth/access.decorators.js';
import { CurrentPrincipal } from '#src/identity/auth/current-principal.decorator.js';
import type { Principal } from '#src/identity/auth/principal.js';
import { PageQuery } from '#src/platform/pagination/index.js';
import {
  CreateOrganizationRequest,
  OrganizationPage,
  OrganizationResponse,
  UpdateOrganizationRequest,
} from '#src/identity/organizations/dto/organization.dto.js';
import { OrganizationsService } from '#src/identity/organizations/organizations.service.js';
import { ApiProblemResponses } from '#src/platform/openapi/index.js';

const EVERYONE = [
  'admin',
  'analyst',
  'approver',
  'isp_operator',
  'isp_client',
  'auditor',
  'responder',
] as const;

@ApiTags('Administration')
@Controller('organizations')
export class OrganizationsController {
  constructor(private readonly organizations: OrganizationsService) {}

  @Get()
  @Roles(...EVERYONE)
  @ApiOperation({
    operationId: 'listOrganizations',
    summary: 'List organizations',
    description: 'Newest first, by pages. An ISP sees only itself.',
  })
  @ApiOkResponse({ type: OrganizationPage })
  @ApiProblemResponses(400)
  list(
    @CurrentPrincipal() caller: Principal,
    @Query() query: PageQuery,
  ): Promise<OrganizationPage> {
    return this.organizations.list(caller, query);
  }

  @Post()
  @Roles('admin')
  @ApiOperation({ operationId: 'createOrganization', summary: 'Create an organization' })
  @ApiCreatedResponse({ type: OrganizationResponse })
  @ApiProblemResponses(400, 409, 413, 415)
  create(
    @CurrentPrincipal() caller: Principal,
    @Body() body: CreateOrganizationRequest,
  ): Promise<OrganizationResponse> {
    return this.organizations.create(caller, body);
  }

  @Get(':id')
  @Roles(...EVERYONE)
  @ApiOperation({ operationId: 'getOrganization', summary: 'Get one organization' })
  @ApiOkResponse({ type: OrganizationResponse })
  @ApiProblemResponses(400, 404)
  get(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<OrganizationResponse> {
    return this.organizations.get(caller, id);
  }

  @Patch(':id')
  @Roles('admin')
  @ApiOperation({
    operationId: 'updateOrganization',
    summary: 'Change an organization’s name or contacts',
    description: 'Send the `version` you read; if it changed since, the answer is 409.',
  })
  @ApiOkResponse({ type: OrganizationResponse })
  @ApiProblemResponses(400, 404, 409, 415)
  update(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: UpdateOrganizationRequest,
  ): Promise<OrganizationResponse> {
    return this.organizations.update(caller, id, body);
  }
}
