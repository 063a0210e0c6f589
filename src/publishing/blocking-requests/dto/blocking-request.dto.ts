import { IntegerParam, Omittable } from '#src/platform/problem/index.js';
import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsDate,
  IsIn,
  IsInt,
  IsObject,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import {
  DNS_ACTIONS,
  IP_ACTIONS,
  ITEM_OPERATIONS,
  REQUEST_CATEGORIES,
  REQUEST_STATUSES,
  SEVERITIES,
  type DnsAction,
  type IpAction,
  type ItemOperation,
  type RequestCategory,
  type RequestStatus,
  type Severity,
} from '#src/publishing/blocking-requests/blocking-request.entity.js';
import type { AssignmentSummaryView } from '#src/publishing/blocking-requests/request-assignments.js';
import { CreatedRangeQuery } from '#src/platform/pagination/index.js';
import { INDICATOR_TYPES, type IndicatorType } from '#src/publishing/indicators/canonical.js';
import { TLP_LEVELS, type Tlp } from '#src/feeds/index.js';

export const MAX_ITEMS_PER_CALL = 100000;

class RequestFields {
  @ApiPropertyOptional({ example: 'Botnet C2 servers targeting provincial networks' })
  @Omittable()
  @IsString()
  @MinLength(3)
  @MaxLength(300)
  title?: string;

  @ApiPropertyOptional({ example: 'Decree 53/2022/ND-CP, Article 21' })
  @Omittable()
  @IsString()
  @MinLength(3)
  @MaxLength(1000)
  legalBasis?: string;

  @ApiPropertyOptional()
  @Omittable()
  @IsString()
  @MaxLength(10000)
  description?: string;

  @ApiPropertyOptional({ enum: REQUEST_CATEGORIES })
  @Omittable()
  @IsIn(REQUEST_CATEGORIES)
  category?: RequestCategory;

  @ApiPropertyOptional({ enum: SEVERITIES })
  @Omittable()
  @IsIn(SEVERITIES)
  severity?: Severity;

  @ApiPropertyOptional({ description: 'Addressed to every ISP (at publication time)' })
  @Omittable()
  @IsBoolean()
  targetsAll?: boolean;

  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    description: 'The ISPs addressed when targetsAll is false',
  })
  @Omittable()
  @IsArray()
  @ArrayMaxSize(500)
  @IsUUID('all', { each: true })
  targetOrganizationIds?: string[];

  @ApiPropertyOptional({
    enum: DNS_ACTIONS,
    default: 'nxdomain',
    description: 'What resolvers answer for blocked names: NXDOMAIN, NODATA or the notice page',
  })
  @Omittable()
  @IsIn(DNS_ACTIONS)
  dnsAction?: DnsAction;

  @ApiPropertyOptional({ enum: IP_ACTIONS, default: 'drop' })
  @Omittable()
  @IsIn(IP_ACTIONS)
  ipAction?: IpAction;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 720,
    default: 24,
    description: 'Hours after publication',
  })
  @Omittable()
  @IsInt()
  @Min(1)
  @Max(720)
  deadlineHours?: number;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'An explicit deadline instead of deadlineHours; must be after publication',
  })
  @Omittable()
  @Type(() => Date)
  @IsDate({ message: 'deadlineAt must be an ISO 8601 date-time' })
  deadlineAt?: Date;
}

export class CreateBlockingRequest extends RequestFields {
  @ApiProperty({ example: '1234/STTTT-BCVT', description: 'The letter’s number; unique' })
  @IsString()
  @Matches(/^[\p{L}\p{N}][\p{L}\p{N} ./_-]{0,99}$/u, {
    message: 'documentNumber must be 1–100 letters, digits, spaces or ./_-',
  })
  documentNumber!: string;

  @ApiProperty({ example: 'Botnet C2 servers targeting provincial networks' })
  @IsString()
  @MinLength(3)
  @MaxLength(300)
  declare title: string;

  @ApiProperty({ example: 'Decree 53/2022/ND-CP, Article 21' })
  @IsString()
  @MinLength(3)
  @MaxLength(1000)
  declare legalBasis: string;

  @ApiProperty({ enum: REQUEST_CATEGORIES })
  @IsIn(REQUEST_CATEGORIES)
  declare category: RequestCategory;

  @ApiProperty({ enum: SEVERITIES })
  @IsIn(SEVERITIES)
  declare severity: Severity;

  @ApiProperty({ description: 'Addressed to every ISP (at publication time)' })
  @IsBoolean()
  declare targetsAll: boolean;
}

export class UpdateBlockingRequest extends RequestFields {
  @ApiProperty({ description: 'The version you read: a newer one on the server is a 409' })
  @IsInt()
  @Min(1)
  @Max(2147483647)
  version!: number;
}

export class VersionedAction {
  @ApiProperty({ description: 'The version you read: a newer one on the server is a 409' })
  @IsInt()
  @Min(1)
  @Max(2147483647)
  version!: number;
}

export class ReturnRequest extends VersionedAction {
  @ApiProperty({ example: 'Item 3 is the hospital’s mail server; remove it' })
  @IsString()
  @MinLength(3)
  @MaxLength(4000)
  comment!: string;
}

export class WithdrawRequest extends VersionedAction {
  @ApiProperty({ example: 'The court order was annulled' })
  @IsString()
  @MinLength(3)
  @MaxLength(4000)
  reason!: string;
}

export class TypedValue {
  @ApiProperty({ enum: INDICATOR_TYPES })
  @IsIn(INDICATOR_TYPES)
  type!: IndicatorType;

  @ApiProperty()
  @IsString()
  @MaxLength(4096)
  value!: string;
}

export class NewIndicatorDefaults {
  @ApiPropertyOptional({ enum: TLP_LEVELS })
  @Omittable()
  @IsIn(TLP_LEVELS)
  tlp?: Tlp;

  @ApiPropertyOptional({ minimum: 0, maximum: 100 })
  @Omittable()
  @IsInt()
  @Min(0)
  @Max(100)
  confidence?: number;

  @ApiPropertyOptional({ type: [String] })
  @Omittable()
  @IsArray()
  @ArrayMaxSize(32)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  tags?: string[];

  @ApiPropertyOptional()
  @Omittable()
  @IsString()
  @MaxLength(200)
  source?: string;

  @ApiPropertyOptional({ format: 'date-time' })
  @Omittable()
  @Type(() => Date)
  @IsDate({ message: 'validUntil must be an ISO 8601 date-time' })
  validUntil?: Date;
}

export class AddItemsRequest {
  @ApiPropertyOptional({ description: 'If given, must be the request’s current version (409)' })
  @Omittable()
  @IsInt()
  @Min(1)
  @Max(2147483647)
  version?: number;

  @ApiPropertyOptional({ enum: ITEM_OPERATIONS, default: 'block' })
  @Omittable()
  @IsIn(ITEM_OPERATIONS)
  operation?: ItemOperation;

  @ApiPropertyOptional({ type: [String], format: 'uuid', maxItems: MAX_ITEMS_PER_CALL })
  @Omittable()
  @IsArray()
  @ArrayMaxSize(MAX_ITEMS_PER_CALL)
  @IsUUID('all', { each: true })
  indicatorIds?: string[];

  @ApiPropertyOptional({
    type: [String],
    maxItems: MAX_ITEMS_PER_CALL,
    description: 'Values (type detected); missing indicators are created',
    example: ['malware-c2.example.com', '203.0.113.7'],
  })
  @Omittable()
  @IsArray()
  @ArrayMaxSize(MAX_ITEMS_PER_CALL)
  @IsString({ each: true })
  values?: string[];

  @ApiPropertyOptional({ type: [TypedValue], maxItems: MAX_ITEMS_PER_CALL })
  @Omittable()
  @IsArray()
  @ArrayMaxSize(MAX_ITEMS_PER_CALL)
  // An array among the items would pass ValidateNested (it validates an array's elements).
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => TypedValue)
  indicators?: TypedValue[];

  @ApiPropertyOptional({
    type: NewIndicatorDefaults,
    description: 'Attributes of indicators created by this call',
  })
  @Omittable()
  @ValidateNested()
  @Type(() => NewIndicatorDefaults)
  defaults?: NewIndicatorDefaults;
}

export class AddItemsResponse {
  @ApiProperty({ description: 'Items added to the request' }) added!: number;
  @ApiProperty({ description: 'Items the request had already' }) alreadyPresent!: number;
  @ApiProperty({ description: 'Indicators created on the fly' }) indicatorsCreated!: number;
  @ApiProperty() itemCount!: number;
  @ApiProperty() version!: number;
}

export class BlockingRequestListQuery extends CreatedRangeQuery {
  @ApiPropertyOptional({ enum: REQUEST_STATUSES })
  @Omittable()
  @IsIn(REQUEST_STATUSES)
  status?: RequestStatus;

  @ApiPropertyOptional({ enum: REQUEST_CATEGORIES })
  @Omittable()
  @IsIn(REQUEST_CATEGORIES)
  category?: RequestCategory;

  @ApiPropertyOptional({ enum: SEVERITIES })
  @Omittable()
  @IsIn(SEVERITIES)
  severity?: Severity;

  @ApiPropertyOptional({ format: 'uuid', description: 'Requests that include this indicator' })
  @Omittable()
  @IsUUID()
  indicatorId?: string;
}

export class ItemListQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @Omittable()
  @IntegerParam(1, 1000)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @Omittable()
  @IsUUID()
  cursor?: string;
}

export class RequestHistoryEntry {
  @ApiProperty({ type: String, nullable: true }) from!: string | null;
  @ApiProperty() to!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) actorId!: string | null;
  @ApiProperty({ type: String, nullable: true }) comment!: string | null;
  @ApiProperty({ format: 'date-time' }) at!: string;
}

export class BlockingRequestResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() documentNumber!: string;
  @ApiProperty() title!: string;
  @ApiProperty() legalBasis!: string;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ enum: REQUEST_CATEGORIES }) category!: RequestCategory;
  @ApiProperty({ enum: SEVERITIES }) severity!: Severity;
  @ApiProperty({ enum: REQUEST_STATUSES }) status!: RequestStatus;
  @ApiProperty() targetsAll!: boolean;
  @ApiProperty({
    type: [String],
    format: 'uuid',
    description: 'An ISP sees only itself here (and nothing for a request to all ISPs)',
  })
  targetOrganizationIds!: string[];
  @ApiProperty({ enum: DNS_ACTIONS }) dnsAction!: DnsAction;
  @ApiProperty({ enum: IP_ACTIONS }) ipAction!: IpAction;
  @ApiProperty() deadlineHours!: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) deadlineAt!: string | null;
  @ApiProperty({ format: 'uuid' }) issuedBy!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'Hidden from ISPs' })
  createdBy!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) submittedBy!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'Signed by' })
  approvedBy!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) publishedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) withdrawnAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) withdrawalReason!: string | null;
  @ApiProperty() itemCount!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty() version!: number;
}

export class BlockingRequestDetail extends BlockingRequestResponse {
  /** Described and filled in by obligations (RequestAssignments). */
  @ApiProperty({
    type: 'array',
    items: { $ref: getSchemaPath('AssignmentSummary') },
    description: 'One per target ISP once published',
  })
  assignments!: AssignmentSummaryView[];
  @ApiProperty({ type: [RequestHistoryEntry] }) history!: RequestHistoryEntry[];
}

export class BlockingRequestPage {
  @ApiProperty({ type: [BlockingRequestResponse] }) items!: BlockingRequestResponse[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

export class RequestItemResponse {
  @ApiProperty({ format: 'uuid' }) indicatorId!: string;
  @ApiProperty({ enum: INDICATOR_TYPES }) type!: string;
  @ApiProperty() value!: string;
  @ApiProperty({ enum: ITEM_OPERATIONS }) operation!: string;
  @ApiProperty() indicatorStatus!: string;
  @ApiProperty({ enum: TLP_LEVELS }) tlp!: string;
}

export class RequestItemPage {
  @ApiProperty({ type: [RequestItemResponse] }) items!: RequestItemResponse[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}
