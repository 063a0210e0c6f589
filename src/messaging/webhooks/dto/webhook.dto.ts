import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { EVENT_TYPES, type EventType } from '#src/messaging/outbox/outbox.service.js';
import { PageQuery } from '#src/platform/pagination/index.js';
import { Omittable } from '#src/platform/problem/index.js';
import {
  DELIVERY_STATUSES,
  type AttemptRow,
  type DeliveryRow,
  type DeliveryStatus,
  type SubscriptionRow,
} from '#src/messaging/webhooks/webhooks.repository.js';

const URL_EXAMPLE = 'https://soc.isp.example/hooks/threat-exchange';

export class CreateWebhookRequest {
  @ApiProperty({
    example: URL_EXAMPLE,
    maxLength: 2048,
    description:
      'https only; no user name or password; the host must resolve to public addresses only (422 otherwise)',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(2048)
  url!: string;

  @ApiProperty({ enum: EVENT_TYPES, isArray: true, example: ['request.published'] })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayUnique()
  @ArrayMaxSize(EVENT_TYPES.length)
  @IsIn(EVENT_TYPES, { each: true, message: `events must be among ${EVENT_TYPES.join(', ')}` })
  events!: EventType[];

  @ApiPropertyOptional({ maxLength: 500, example: 'SOC ticketing' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;
}

export class UpdateWebhookRequest {
  @ApiProperty({ description: 'The version you read: a newer one on the server is a 409' })
  @IsInt()
  @Min(1)
  @Max(2147483647)
  version!: number;

  @ApiPropertyOptional({ example: URL_EXAMPLE, maxLength: 2048 })
  @Omittable()
  @IsString()
  @MinLength(1)
  @MaxLength(2048)
  url?: string;

  @ApiPropertyOptional({ enum: EVENT_TYPES, isArray: true })
  @Omittable()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayUnique()
  @ArrayMaxSize(EVENT_TYPES.length)
  @IsIn(EVENT_TYPES, { each: true, message: `events must be among ${EVENT_TYPES.join(', ')}` })
  events?: EventType[];

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 500 })
  @IsOptional()
  @ValidateIf((_o: object, v: unknown) => v !== null)
  @IsString()
  @MaxLength(500)
  description?: string | null;

  @ApiPropertyOptional({ description: 'false pauses deliveries (they wait, and resume on true)' })
  @Omittable()
  @IsBoolean()
  active?: boolean;
}

export class WebhookResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ format: 'uuid' })
  organizationId!: string;
  @ApiProperty({ example: URL_EXAMPLE })
  url!: string;
  @ApiProperty({ enum: EVENT_TYPES, isArray: true })
  events!: string[];
  @ApiProperty({ type: String, nullable: true })
  description!: string | null;
  @ApiProperty()
  active!: boolean;
  @ApiProperty({ description: 'Send it back with PATCH (optimistic concurrency)' })
  version!: number;
  @ApiProperty({
    format: 'date-time',
    type: String,
    nullable: true,
    description: 'Until then the previous secret also signs each delivery (after a rotation)',
  })
  previousSecretExpiresAt!: string | null;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;
}

export class WebhookWithSecretResponse extends WebhookResponse {
  @ApiProperty({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw+QUS3ZkFq7o=',
    description:
      'The signing secret (Standard Webhooks): shown this once, never again; store it where the receiver verifies signatures',
  })
  secret!: string;
}

export class WebhookPage {
  @ApiProperty({ type: [WebhookResponse] })
  items!: WebhookResponse[];
  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}

export class DeliveryListQuery extends PageQuery {
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES, { message: `status must be one of ${DELIVERY_STATUSES.join(', ')}` })
  status?: DeliveryStatus;
}

export class DeliveryResponse {
  @ApiProperty({ format: 'uuid', description: 'Also the webhook-id header: stable across retries' })
  id!: string;
  @ApiProperty({ format: 'uuid' })
  subscriptionId!: string;
  @ApiProperty({ enum: EVENT_TYPES })
  eventType!: string;
  @ApiProperty({ enum: DELIVERY_STATUSES, description: 'dead: the dead letter, redeliverable' })
  status!: DeliveryStatus;
  @ApiProperty({ description: 'Attempts since it was created or last redelivered' })
  attempts!: number;
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  nextAttemptAt!: string | null;
  @ApiProperty({ type: Number, nullable: true, description: 'HTTP status of the last attempt' })
  lastStatus!: number | null;
  @ApiProperty({ type: String, nullable: true })
  lastError!: string | null;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  deliveredAt!: string | null;
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  deadAt!: string | null;
}

export class DeliveryPage {
  @ApiProperty({ type: [DeliveryResponse] })
  items!: DeliveryResponse[];
  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}

export class AttemptResponse {
  @ApiProperty({ description: '1, 2, … over the delivery’s whole life (redeliveries continue)' })
  attempt!: number;
  @ApiProperty({ format: 'date-time' })
  startedAt!: string;
  @ApiProperty()
  durationMs!: number;
  @ApiProperty({ type: Number, nullable: true })
  responseStatus!: number | null;
  @ApiProperty({ type: String, nullable: true })
  error!: string | null;
}

export class EventBody {
  @ApiProperty({ enum: EVENT_TYPES })
  type!: string;
  @ApiProperty({ format: 'date-time', description: 'When the event happened' })
  timestamp!: string;
  @ApiProperty({ type: 'object', additionalProperties: true })
  data!: Record<string, unknown>;
}

export class DeliveryDetailResponse extends DeliveryResponse {
  @ApiProperty({ type: EventBody, description: 'The body POSTed (JSON)' })
  payload!: EventBody;
  @ApiProperty({ type: [AttemptResponse] })
  attemptLog!: AttemptResponse[];
}

export function toWebhookResponse(s: SubscriptionRow): WebhookResponse {
  return {
    id: s.id,
    organizationId: s.organizationId,
    url: s.url,
    events: s.events,
    description: s.description,
    active: s.active,
    version: s.version,
    previousSecretExpiresAt: s.previousSecretExpiresAt?.toISOString() ?? null,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}

export function toDeliveryResponse(d: DeliveryRow): DeliveryResponse {
  return {
    id: d.id,
    subscriptionId: d.subscriptionId,
    eventType: d.eventType,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt.toISOString() : null,
    lastStatus: d.lastStatus,
    lastError: d.lastError,
    createdAt: d.createdAt.toISOString(),
    deliveredAt: d.deliveredAt?.toISOString() ?? null,
    deadAt: d.deadAt?.toISOString() ?? null,
  };
}

export function toDeliveryDetail(d: DeliveryRow, attempts: AttemptRow[]): DeliveryDetailResponse {
  return {
    ...toDeliveryResponse(d),
    payload: {
      type: d.payload.type,
      timestamp: d.payload.timestamp,
      data: d.payload.data as Record<string, unknown>,
    },
    attemptLog: attempts.map((a) => ({
      attempt: a.attempt,
      startedAt: a.startedAt.toISOString(),
      durationMs: a.durationMs,
      responseStatus: a.responseStatus,
      error: a.error,
    })),
  };
}
