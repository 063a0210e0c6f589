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
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Roles, CurrentPrincipal, type Principal } from '#src/identity/index.js';
import { BlockingRequestsService } from '#src/publishing/blocking-requests/blocking-requests.service.js';
import {
  AddItemsRequest,
  AddItemsResponse,
  BlockingRequestDetail,
  BlockingRequestListQuery,
  BlockingRequestPage,
  CreateBlockingRequest,
  ItemListQuery,
  RequestItemPage,
  ReturnRequest,
  UpdateBlockingRequest,
  VersionedAction,
  WithdrawRequest,
} from '#src/publishing/blocking-requests/dto/blocking-request.dto.js';
import { LargeJsonBody } from '#src/platform/http/index.js';
import { ApiProblemResponses } from '#src/platform/openapi/index.js';

const READERS = ['admin', 'analyst', 'approver', 'auditor', 'isp_operator', 'isp_client'] as const;

@ApiTags('Blocking requests')
@Controller('blocking-requests')
export class BlockingRequestsController {
  constructor(private readonly requests: BlockingRequestsService) {}

  @Get()
  @Roles(...READERS)
  @ApiOperation({
    operationId: 'listBlockingRequests',
    summary: 'Search blocking requests',
    description:
      'Newest first, by pages. An ISP sees only published, completed and withdrawn requests addressed to it (or to all ISPs).',
  })
  @ApiOkResponse({ type: BlockingRequestPage })
  @ApiProblemResponses(400)
  list(
    @CurrentPrincipal() caller: Principal,
    @Query() query: BlockingRequestListQuery,
  ): Promise<BlockingRequestPage> {
    return this.requests.list(caller, query);
  }

  @Post()
  @Roles('analyst')
  @ApiOperation({ operationId: 'createBlockingRequest', summary: 'Create a draft request' })
  @ApiCreatedResponse({ type: BlockingRequestDetail })
  @ApiProblemResponses(400, 409, 413, 415)
  create(
    @CurrentPrincipal() caller: Principal,
    @Body() body: CreateBlockingRequest,
  ): Promise<BlockingRequestDetail> {
    return this.requests.create(caller, body);
  }

  @Get(':id')
  @Roles(...READERS)
  @ApiOperation({
    operationId: 'getBlockingRequest',
    summary: 'Get one request with its assignments and history',
  })
  @ApiOkResponse({ type: BlockingRequestDetail })
  @ApiProblemResponses(400, 404)
  get(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<BlockingRequestDetail> {
    return this.requests.get(caller, id);
  }

  @Patch(':id')
  @Roles('analyst')
  @ApiOperation({
    operationId: 'updateBlockingRequest',
    summary: 'Edit a draft',
    description: 'Only drafts; send the `version` you read (409 if it changed since).',
  })
  @ApiOkResponse({ type: BlockingRequestDetail })
  @ApiProblemResponses(400, 404, 409, 415)
  update(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: UpdateBlockingRequest,
  ): Promise<BlockingRequestDetail> {
    return this.requests.update(caller, id, body);
  }

  @Get(':id/items')
  @Roles(...READERS)
  @ApiOperation({ operationId: 'listBlockingRequestItems', summary: 'The request’s items' })
  @ApiOkResponse({ type: RequestItemPage })
  @ApiProblemResponses(400, 404)
  items(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Query() query: ItemListQuery,
  ): Promise<RequestItemPage> {
    return this.requests.items(caller, id, query);
  }

  @Post(':id/items')
  @Roles('analyst')
  @LargeJsonBody()
  @ApiOperation({
    operationId: 'addBlockingRequestItems',
    summary: 'Add items to a draft, by indicator id or by value',
    description:
      'Up to 100,000 per call. Values are canonicalized and missing indicators created. All or nothing: one unknown id or invalid value refuses the call.',
  })
  @ApiCreatedResponse({ type: AddItemsResponse })
  @ApiProblemResponses(400, 404, 409, 413, 415)
  addItems(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: AddItemsRequest,
  ): Promise<AddItemsResponse> {
    return this.requests.addItems(caller, id, body);
  }

  @Delete(':id/items/:indicatorId')
  @HttpCode(204)
  @Roles('analyst')
  @ApiOperation({
    operationId: 'removeBlockingRequestItem',
    summary: 'Remove an item from a draft',
  })
  @ApiNoContentResponse()
  @ApiProblemResponses(400, 404, 409)
  async removeItem(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Param('indicatorId', ParseUUIDPipe) indicatorId: string,
  ): Promise<void> {
    await this.requests.removeItem(caller, id, indicatorId);
  }

  @Post(':id/submit')
  @HttpCode(200)
  @Roles('analyst')
  @ApiOperation({ operationId: 'submitBlockingRequest', summary: 'Submit a draft for approval' })
  @ApiOkResponse({ type: BlockingRequestDetail })
  @ApiProblemResponses(400, 404, 409, 415, 422)
  submit(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: VersionedAction,
  ): Promise<BlockingRequestDetail> {
    return this.requests.submit(caller, id, body);
  }

  @Post(':id/approve')
  @HttpCode(200)
  @Roles('approver')
  @ApiOperation({
    operationId: 'approveBlockingRequest',
    summary: 'Approve (sign) and publish',
    description:
      'Never by the person who submitted it (403). Refused (422) while a block item matches a protected list without an override. Publication is one transaction: assignments, feed changes, outbox, audit.',
  })
  @ApiOkResponse({ type: BlockingRequestDetail })
  @ApiProblemResponses(400, 403, 404, 409, 415, 422)
  approve(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: VersionedAction,
  ): Promise<BlockingRequestDetail> {
    return this.requests.approve(caller, id, body);
  }

  @Post(':id/return')
  @HttpCode(200)
  @Roles('approver')
  @ApiOperation({ operationId: 'returnBlockingRequest', summary: 'Return to draft with a comment' })
  @ApiOkResponse({ type: BlockingRequestDetail })
  @ApiProblemResponses(400, 404, 409, 415)
  return(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: ReturnRequest,
  ): Promise<BlockingRequestDetail> {
    return this.requests.return(caller, id, body);
  }

  @Post(':id/withdraw')
  @HttpCode(200)
  @Roles('approver')
  @ApiOperation({
    operationId: 'withdrawBlockingRequest',
    summary: 'Withdraw a published request: its blocks are removed from the feeds',
  })
  @ApiOkResponse({ type: BlockingRequestDetail })
  @ApiProblemResponses(400, 404, 409, 415)
  withdraw(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: WithdrawRequest,
  ): Promise<BlockingRequestDetail> {
    return this.requests.withdraw(caller, id, body);
  }
}
