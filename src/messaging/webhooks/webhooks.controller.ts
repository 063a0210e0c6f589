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
import { PageQuery } from '#src/platform/pagination/index.js';
import { ApiProblemResponses } from '#src/platform/openapi/index.js';
import {
  CreateWebhookRequest,
  DeliveryDetailResponse,
  DeliveryListQuery,
  DeliveryPage,
  UpdateWebhookRequest,
  WebhookPage,
  WebhookResponse,
  WebhookWithSecretResponse,
} from '#src/messaging/webhooks/dto/webhook.dto.js';
import { WEBHOOK_MANAGERS, WebhooksService } from '#src/messaging/webhooks/webhooks.service.js';

/** Manage their own organization's webhooks (decision 0009). */
const MANAGERS = WEBHOOK_MANAGERS;
/** The managers, and auditors reading every organization's. */
const READERS = [...MANAGERS, 'auditor'] as const;

@ApiTags('Webhooks')
@Controller('webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @Roles(...MANAGERS)
  @ApiOperation({
    operationId: 'createWebhook',
    summary: 'Subscribe an HTTPS endpoint to events',
    description:
      'For the caller’s organization. The URL must be https, without user name or password, and its host must resolve to public addresses only (422 naming the reason otherwise). The answer holds the signing secret, shown once. At most WEBHOOK_MAX_SUBSCRIPTIONS_PER_ORGANIZATION subscriptions per organization (429 `webhook-subscriptions-per-organization` beyond: delete one first).',
  })
  @ApiCreatedResponse({ type: WebhookWithSecretResponse })
  @ApiProblemResponses(400, 413, 415, 422, 429)
  create(
    @CurrentPrincipal() caller: Principal,
    @Body() body: CreateWebhookRequest,
  ): Promise<WebhookWithSecretResponse> {
    return this.webhooks.create(caller, body);
  }

  @Get()
  @Roles(...READERS)
  @ApiOperation({
    operationId: 'listWebhooks',
    summary: 'List webhook subscriptions',
    description:
      'The caller’s organization’s, newest first (an auditor sees every organization’s).',
  })
  @ApiOkResponse({ type: WebhookPage })
  @ApiProblemResponses(400)
  list(@CurrentPrincipal() caller: Principal, @Query() query: PageQuery): Promise<WebhookPage> {
    return this.webhooks.list(caller, query);
  }

  @Get('deliveries/:deliveryId')
  @Roles(...READERS)
  @ApiOperation({
    operationId: 'getWebhookDelivery',
    summary: 'Get one delivery with every attempt',
  })
  @ApiOkResponse({ type: DeliveryDetailResponse })
  @ApiProblemResponses(400, 404)
  delivery(
    @CurrentPrincipal() caller: Principal,
    @Param('deliveryId', ParseUUIDPipe) deliveryId: string,
  ): Promise<DeliveryDetailResponse> {
    return this.webhooks.delivery(caller, deliveryId);
  }

  @Post('deliveries/:deliveryId/redeliver')
  @HttpCode(200)
  @Roles(...MANAGERS)
  @ApiOperation({
    operationId: 'redeliverWebhookDelivery',
    summary: 'Send a dead (or succeeded) delivery again',
    description:
      'The delivery goes back to pending, due now, with its attempt count reset (the attempt log is kept). Same webhook-id: receivers that dedupe will see it as the same message. 409 while it is pending.',
  })
  @ApiOkResponse({ type: DeliveryDetailResponse })
  @ApiProblemResponses(400, 404, 409)
  redeliver(
    @CurrentPrincipal() caller: Principal,
    @Param('deliveryId', ParseUUIDPipe) deliveryId: string,
  ): Promise<DeliveryDetailResponse> {
    return this.webhooks.redeliver(caller, deliveryId);
  }

  @Get(':id')
  @Roles(...READERS)
  @ApiOperation({ operationId: 'getWebhook', summary: 'Get one webhook subscription' })
  @ApiOkResponse({ type: WebhookResponse })
  @ApiProblemResponses(400, 404)
  get(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<WebhookResponse> {
    return this.webhooks.get(caller, id);
  }

  @Patch(':id')
  @Roles(...MANAGERS)
  @ApiOperation({
    operationId: 'updateWebhook',
    summary: 'Change a webhook subscription',
    description:
      'url, events, description, active (false pauses deliveries). Send the version you read: 409 when it changed since. A new URL is checked as at creation (422).',
  })
  @ApiOkResponse({ type: WebhookResponse })
  @ApiProblemResponses(400, 404, 409, 413, 415, 422)
  update(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: UpdateWebhookRequest,
  ): Promise<WebhookResponse> {
    return this.webhooks.update(caller, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @Roles(...MANAGERS)
  @ApiOperation({
    operationId: 'deleteWebhook',
    summary: 'Delete a webhook subscription',
    description: 'Its pending deliveries stop (they become dead, reason "subscription deleted").',
  })
  @ApiNoContentResponse()
  @ApiProblemResponses(400, 404)
  async remove(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<void> {
    await this.webhooks.remove(caller, id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @Roles(...MANAGERS)
  @ApiOperation({
    operationId: 'rotateWebhookSecret',
    summary: 'Give a webhook subscription a new signing secret',
    description:
      'The new secret is in this answer only. The previous one stays valid for the overlap period (previousSecretExpiresAt): meanwhile every delivery carries both signatures. 409 while a previous rotation is still in its overlap.',
  })
  @ApiOkResponse({ type: WebhookWithSecretResponse })
  @ApiProblemResponses(400, 404, 409)
  rotateSecret(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<WebhookWithSecretResponse> {
    return this.webhooks.rotateSecret(caller, id);
  }

  @Get(':id/deliveries')
  @Roles(...READERS)
  @ApiOperation({
    operationId: 'listWebhookDeliveries',
    summary: 'List a subscription’s deliveries',
    description: 'Newest first, by pages; filter by status (dead: the dead letters).',
  })
  @ApiOkResponse({ type: DeliveryPage })
  @ApiProblemResponses(400, 404)
  deliveries(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Query() query: DeliveryListQuery,
  ): Promise<DeliveryPage> {
    return this.webhooks.deliveries(caller, id, query);
  }
}
