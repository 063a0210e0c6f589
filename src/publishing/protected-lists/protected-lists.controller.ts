import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Roles, CurrentPrincipal, type Principal } from '#src/identity/index.js';
import { LargeJsonBody } from '#src/platform/http/index.js';
import { PageQuery } from '#src/platform/pagination/index.js';
import { ApiProblemResponses } from '#src/platform/openapi/index.js';
import {
  AddEntriesResponse,
  AddProtectedEntriesRequest,
  CreateProtectedListRequest,
  MispImportResponse,
  ProtectedCheckQuery,
  ProtectedCheckRequest,
  ProtectedCheckResponse,
  ProtectedEntryPage,
  ProtectedListPage,
  ProtectedListResponse,
  UpdateProtectedListRequest,
} from '#src/publishing/protected-lists/dto/protected-list.dto.js';
import { ProtectedListsService } from '#src/publishing/protected-lists/protected-lists.service.js';

const READERS = ['admin', 'analyst', 'approver', 'auditor'] as const;

@ApiTags('Protected lists')
@Controller('protected-lists')
export class ProtectedListsController {
  constructor(private readonly lists: ProtectedListsService) {}

  @Get()
  @Roles(...READERS)
  @ApiOperation({ operationId: 'listProtectedLists', summary: 'List protected lists' })
  @ApiOkResponse({ type: ProtectedListPage })
  @ApiProblemResponses(400)
  list(@Query() query: PageQuery): Promise<ProtectedListPage> {
    return this.lists.list(query);
  }

  @Post()
  @Roles('admin')
  @ApiOperation({ operationId: 'createProtectedList', summary: 'Create an empty protected list' })
  @ApiCreatedResponse({ type: ProtectedListResponse })
  @ApiProblemResponses(400, 409, 413, 415)
  create(
    @CurrentPrincipal() caller: Principal,
    @Body() body: CreateProtectedListRequest,
  ): Promise<ProtectedListResponse> {
    return this.lists.create(caller, body);
  }

  @Post('check')
  @HttpCode(200)
  @Roles('admin', 'analyst', 'approver')
  @LargeJsonBody()
  @ApiOperation({
    operationId: 'checkProtected',
    summary: 'Which values are protected, by which entry and why',
    description:
      'Up to 100,000 values, canonicalized as indicators. A domain is protected when it equals or is under a protected hostname; an address or network when it is inside or overlaps a protected network; any value when it equals a protected string.',
  })
  @ApiOkResponse({ type: ProtectedCheckResponse })
  @ApiProblemResponses(400, 413, 415)
  check(
    @Body() body: ProtectedCheckRequest,
    @Query() query: ProtectedCheckQuery,
  ): Promise<ProtectedCheckResponse> {
    return this.lists.check(body, { everyValue: query.results === 'all' });
  }

  @Post('misp-import')
  @Roles('admin')
  @LargeJsonBody()
  @ApiOperation({
    operationId: 'importMispWarninglist',
    summary: 'Import a MISP warninglist (list.json)',
    description:
      'Creates a list named after the warninglist, or replaces the entries of the list imported earlier under that name. Types cidr, hostname and string are supported; substring and regex lists are refused (422).',
  })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['name', 'type', 'list'],
      properties: {
        name: { type: 'string' },
        description: { type: 'string' },
        version: { type: 'integer' },
        type: { type: 'string', enum: ['cidr', 'hostname', 'string', 'substring', 'regex'] },
        list: { type: 'array', items: { type: 'string' } },
        matching_attributes: { type: 'array', items: { type: 'string' } },
      },
    },
  })
  @ApiCreatedResponse({ type: MispImportResponse })
  @ApiProblemResponses(400, 409, 413, 415, 422)
  importMisp(
    @CurrentPrincipal() caller: Principal,
    @Body() body: unknown,
  ): Promise<MispImportResponse> {
    return this.lists.importMisp(caller, body);
  }

  @Get(':id')
  @Roles(...READERS)
  @ApiOperation({ operationId: 'getProtectedList', summary: 'Get one protected list' })
  @ApiOkResponse({ type: ProtectedListResponse })
  @ApiProblemResponses(400, 404)
  get(@Param('id', ParseUUIDPipe) id: string): Promise<ProtectedListResponse> {
    return this.lists.get(id);
  }

  @Patch(':id')
  @Roles('admin')
  @ApiOperation({
    operationId: 'updateProtectedList',
    summary: 'Rename, describe, enable or disable a protected list',
    description: 'Send the `version` you read (409 if it changed). The built-in list is read-only.',
  })
  @ApiOkResponse({ type: ProtectedListResponse })
  @ApiProblemResponses(400, 404, 409, 415)
  update(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: UpdateProtectedListRequest,
  ): Promise<ProtectedListResponse> {
    return this.lists.update(caller, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @Roles('admin')
  @ApiOperation({ operationId: 'deleteProtectedList', summary: 'Delete a protected list' })
  @ApiNoContentResponse()
  @ApiProblemResponses(400, 404, 409)
  async remove(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<void> {
    await this.lists.remove(caller, id);
  }

  @Get(':id/entries')
  @Roles(...READERS)
  @ApiOperation({ operationId: 'listProtectedEntries', summary: 'List a protected list’s entries' })
  @ApiOkResponse({ type: ProtectedEntryPage })
  @ApiProblemResponses(400, 404)
  entries(
    @Param('id', ParseUUIDPipe) id: string,
    @Query() query: PageQuery,
  ): Promise<ProtectedEntryPage> {
    return this.lists.entries(id, query);
  }

  @Post(':id/entries')
  @Roles('admin')
  @LargeJsonBody()
  @ApiOperation({
    operationId: 'addProtectedEntries',
    summary: 'Add entries to a protected list',
    description:
      'Up to 10,000 at once, all or nothing: one invalid entry refuses the whole request.',
  })
  @ApiCreatedResponse({ type: AddEntriesResponse })
  @ApiProblemResponses(400, 404, 409, 413, 415)
  addEntries(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: AddProtectedEntriesRequest,
  ): Promise<AddEntriesResponse> {
    return this.lists.addEntries(caller, id, body);
  }

  @Delete(':id/entries/:entryId')
  @HttpCode(204)
  @Roles('admin')
  @ApiOperation({ operationId: 'deleteProtectedEntry', summary: 'Remove one entry' })
  @ApiNoContentResponse()
  @ApiProblemResponses(400, 404, 409)
  async removeEntry(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Param('entryId', ParseUUIDPipe) entryId: string,
  ): Promise<void> {
    await this.lists.removeEntry(caller, id, entryId);
  }
}
