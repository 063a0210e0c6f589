import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  CreateFeedReceipt,
  FeedReceiptCreated,
  FeedReceiptListQuery,
  FeedReceiptPage,
} from '#src/obligations/assignments/dto/receipt.dto.js';
import { ReceiptsService } from '#src/obligations/assignments/receipts.service.js';
import { Roles, CurrentPrincipal, type Principal } from '#src/identity/index.js';
import { ApiProblemResponses } from '#src/platform/openapi/index.js';

@ApiTags('Feeds')
@Controller('feed/receipts')
export class ReceiptsController {
  constructor(private readonly receipts: ReceiptsService) {}

  @Post()
  @Roles('isp_operator', 'isp_client')
  @ApiOperation({
    operationId: 'createFeedReceipt',
    summary: 'State that you deployed a feed version: confirms what it covers',
    description:
      'The version must exist and have been served to you (422 otherwise). Every open (pending or acknowledged) assignment of yours whose items were all in your feed at that version gets an `applied` confirmation; assignments you confirmed yourself are left alone. A `sha256` that matches no body served to you at that version in that format is flagged (`hashCheck: mismatch`): the receipt is still accepted, and the Department sees the flag.',
  })
  @ApiCreatedResponse({ type: FeedReceiptCreated })
  @ApiProblemResponses(400, 415, 422)
  create(
    @CurrentPrincipal() caller: Principal,
    @Body() body: CreateFeedReceipt,
  ): Promise<FeedReceiptCreated> {
    return this.receipts.create(caller, body);
  }

  @Get()
  @Roles('admin', 'analyst', 'approver', 'auditor', 'isp_operator', 'isp_client')
  @ApiOperation({
    operationId: 'listFeedReceipts',
    summary: 'Feed receipts, newest first',
    description:
      'An ISP sees its own; the Department and auditors see all (`organizationId` to narrow, `flagged=true` for hash mismatches).',
  })
  @ApiOkResponse({ type: FeedReceiptPage })
  @ApiProblemResponses(400)
  list(
    @CurrentPrincipal() caller: Principal,
    @Query() query: FeedReceiptListQuery,
  ): Promise<FeedReceiptPage> {
    return this.receipts.list(caller, query);
  }
}
