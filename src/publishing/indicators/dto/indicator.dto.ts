import { Omittable } from '#src/platform/problem/index.js';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsDate,
  IsIn,
  IsInt,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { CreatedRangeQuery } from '#src/platform/pagination/index.js';
import { INDICATOR_TYPES, type IndicatorType } from '#src/publishing/indicators/canonical.js';
import {
  MAX_DESCRIPTION,
  MAX_SOURCE,
  MAX_TAGS,
  TAG_PATTERN,
} from '#src/publishing/indicators/indicator-attributes.js';
import {
  INDICATOR_STATUSES,
  type IndicatorEntity,
  type IndicatorStatus,
} from '#src/publishing/indicators/indicator.entity.js';
import { TLP_LEVELS, type Tlp } from '#src/feeds/index.js';

class IndicatorAttributesDto {
  @ApiPropertyOptional({ enum: TLP_LEVELS, default: 'AMBER' })
  @Omittable()
  @IsIn(TLP_LEVELS)
  tlp?: Tlp;

  @ApiPropertyOptional({ minimum: 0, maximum: 100 })
  @Omittable()
  @IsInt()
  @Min(0)
  @Max(100)
  confidence?: number;

  @ApiPropertyOptional({ type: [String], example: ['botnet', 'c2'], maxItems: MAX_TAGS })
  @Omittable()
  @ArrayMaxSize(MAX_TAGS)
  @IsString({ each: true })
  @Matches(TAG_PATTERN, {
    each: true,
    message: 'each tag must be 1–64 letters, digits, spaces or _.:/+-',
  })
  tags?: string[];

  @ApiPropertyOptional({ example: 'CERT report 2026-112', maxLength: MAX_SOURCE })
  @Omittable()
  @IsString()
  @MaxLength(MAX_SOURCE)
  source?: string;

  @ApiPropertyOptional({ maxLength: MAX_DESCRIPTION })
  @Omittable()
  @IsString()
  @MaxLength(MAX_DESCRIPTION)
  description?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Default: now' })
  @Omittable()
  @Type(() => Date)
  @IsDate({ message: 'validFrom must be an ISO 8601 date-time' })
  validFrom?: Date;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'When it stops being blocked: the expiry job publishes its removal',
  })
  @Omittable()
  @Type(() => Date)
  @IsDate({ message: 'validUntil must be an ISO 8601 date-time' })
  validUntil?: Date;
}

export class CreateIndicatorRequest extends IndicatorAttributesDto {
  @ApiPropertyOptional({ enum: INDICATOR_TYPES, description: 'Detected from the value if absent' })
  @Omittable()
  @IsIn(INDICATOR_TYPES)
  type?: IndicatorType;

  @ApiProperty({ example: 'malware-c2.example.com', maxLength: 4096 })
  @IsString()
  @MinLength(1)
  @MaxLength(4096)
  value!: string;
}

export class UpdateIndicatorRequest extends IndicatorAttributesDto {
  @ApiProperty({ description: 'The version you read: a newer one on the server is a 409' })
  @IsInt()
  @Min(1)
  @Max(2147483647)
  version!: number;
}

export class RevokeIndicatorRequest {
  @ApiProperty({ example: 'False positive: the domain belongs to a hospital' })
  @IsString()
  @MinLength(3)
  @MaxLength(2000)
  reason!: string;
}

export class ProtectionOverrideRequest {
  @ApiProperty({
    example: 'Court order 12/2026 covers this subdomain specifically',
    description: 'Why this indicator may be published although it matches a protected list',
  })
  @IsString()
  @MinLength(10)
  @MaxLength(2000)
  reason!: string;
}

export class IndicatorListQuery extends CreatedRangeQuery {
  @ApiPropertyOptional({ enum: INDICATOR_TYPES })
  @Omittable()
  @IsIn(INDICATOR_TYPES)
  type?: IndicatorType;

  @ApiPropertyOptional({ enum: INDICATOR_STATUSES })
  @Omittable()
  @IsIn(INDICATOR_STATUSES)
  status?: IndicatorStatus;

  @ApiPropertyOptional({ enum: TLP_LEVELS })
  @Omittable()
  @IsIn(TLP_LEVELS)
  tlp?: Tlp;

  @ApiPropertyOptional({ example: 'botnet' })
  @Omittable()
  @IsString()
  @MaxLength(64)
  tag?: string;

  @ApiPropertyOptional({ example: 'malware-', description: 'Canonical values starting with this' })
  @Omittable()
  @IsString()
  @MinLength(1)
  @MaxLength(4096)
  valuePrefix?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only indicators in this request' })
  @Omittable()
  @IsUUID()
  requestId?: string;
}

export class IndicatorResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: INDICATOR_TYPES }) type!: IndicatorType;
  @ApiProperty({ description: 'Canonical value' }) value!: string;
  @ApiProperty({ enum: INDICATOR_STATUSES }) status!: IndicatorStatus;
  @ApiProperty({ enum: TLP_LEVELS }) tlp!: Tlp;
  @ApiProperty({ type: Number, nullable: true }) confidence!: number | null;
  @ApiProperty({ type: [String] }) tags!: string[];
  @ApiProperty({ type: String, nullable: true }) source!: string | null;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ format: 'date-time' }) validFrom!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) validUntil!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty() version!: number;
}

export class IndicatorPage {
  @ApiProperty({ type: [IndicatorResponse] }) items!: IndicatorResponse[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

export class IndicatorRequestRef {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() documentNumber!: string;
  @ApiProperty() title!: string;
  @ApiProperty() status!: string;
  @ApiProperty({ enum: ['block', 'unblock'] }) operation!: string;
}

export class StatusChange {
  @ApiProperty({ type: String, nullable: true }) from!: string | null;
  @ApiProperty() to!: string;
  @ApiProperty() reason!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) actorId!: string | null;
  @ApiProperty({ format: 'date-time' }) at!: string;
}

export class ProtectionOverrideResponse {
  @ApiProperty() reason!: string;
  @ApiProperty({ format: 'uuid' }) approvedBy!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class IndicatorDetail extends IndicatorResponse {
  @ApiProperty({ type: [IndicatorRequestRef], description: 'Requests that include it' })
  requests!: IndicatorRequestRef[];
  @ApiProperty({ type: [StatusChange], description: 'Status changes after creation' })
  history!: StatusChange[];
  @ApiProperty({ type: ProtectionOverrideResponse, nullable: true })
  protectionOverride!: ProtectionOverrideResponse | null;
}

export function toIndicatorResponse(e: IndicatorEntity): IndicatorResponse {
  return {
    id: e.id,
    type: e.type,
    value: e.value,
    status: e.status,
    tlp: e.tlp,
    confidence: e.confidence,
    tags: e.tags,
    source: e.source,
    description: e.description,
    validFrom: e.validFrom.toISOString(),
    validUntil: e.validUntil?.toISOString() ?? null,
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
    version: e.version,
  };
}
