import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { PageQuery } from '#src/platform/pagination/index.js';
import { IsIsoDateTime, Lowercase, Omittable } from '#src/platform/problem/index.js';
import { INDICATOR_TYPES, type IndicatorType, TAG_PATTERN } from '#src/publishing/index.js';

export const MAX_SIGHTINGS_PER_REQUEST = 1000;
export const MAX_CUSTOMER = 200;
export const MAX_NOTE = 2000;
export const MAX_SUMMARY_ROWS = 10_000;

/** One report of hits on an indicator; by `indicatorId` or by `value` (+ `type`). */
export class SightingInput {
  @ApiPropertyOptional({ format: 'uuid', description: 'The indicator, or give `value` instead' })
  @Omittable()
  @Lowercase()
  @IsUUID()
  indicatorId?: string;

  @ApiPropertyOptional({
    example: 'malware-c2.example.com',
    maxLength: 4096,
    description: 'The indicator by value, canonicalized as indicators are (or give indicatorId)',
  })
  @Omittable()
  @IsString()
  @MinLength(1)
  @MaxLength(4096)
  value?: string;

  @ApiPropertyOptional({ enum: INDICATOR_TYPES, description: 'Detected from the value if absent' })
  @Omittable()
  @IsIn(INDICATOR_TYPES)
  type?: IndicatorType;

  @ApiProperty({ minimum: 1, example: 1520, description: 'Hits (connections, queries) seen' })
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  count!: number;

  @ApiProperty({ format: 'date-time', example: '2026-11-20T08:00:00Z' })
  @IsIsoDateTime()
  firstSeen!: Date;

  @ApiProperty({
    format: 'date-time',
    example: '2026-11-21T17:30:00Z',
    description: 'At or after firstSeen, not in the future',
  })
  @IsIsoDateTime()
  lastSeen!: Date;

  @ApiPropertyOptional({
    example: '203.0.113.0/26',
    description:
      'The network that generated the hits: an IP address or an aligned CIDR (IPv4 or IPv6). Give network, customer or both.',
  })
  @Omittable()
  @IsString()
  @MaxLength(64)
  network?: string;

  @ApiPropertyOptional({
    example: 'Provincial People’s Committee office',
    maxLength: MAX_CUSTOMER,
    description: 'The customer organization behind the hits (e.g. a government unit)',
  })
  @Omittable()
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_CUSTOMER)
  customer?: string;

  @ApiPropertyOptional({ maxLength: MAX_NOTE })
  @Omittable()
  @IsString()
  @MaxLength(MAX_NOTE)
  note?: string;
}

export class CreateSightingsRequest {
  @ApiProperty({
    type: [SightingInput],
    minItems: 1,
    maxItems: MAX_SIGHTINGS_PER_REQUEST,
    description: 'One or more sightings (one sighting is a batch of one); all or nothing',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_SIGHTINGS_PER_REQUEST)
  // An array among the items would pass ValidateNested (it validates an array's elements).
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => SightingInput)
  sightings!: SightingInput[];
}

export class SightingResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid', description: 'The reporting ISP' })
  organizationId!: string;

  @ApiProperty({ format: 'uuid' })
  indicatorId!: string;

  @ApiProperty({ enum: INDICATOR_TYPES })
  indicatorType!: IndicatorType;

  @ApiProperty({ example: 'malware-c2.example.com' })
  indicatorValue!: string;

  @ApiProperty({ example: 1520 })
  count!: number;

  @ApiProperty({ format: 'date-time' })
  firstSeen!: string;

  @ApiProperty({ format: 'date-time' })
  lastSeen!: string;

  @ApiProperty({ type: String, nullable: true, example: '203.0.113.0/26' })
  network!: string | null;

  @ApiProperty({ type: String, nullable: true })
  customer!: string | null;

  @ApiProperty({ type: String, nullable: true })
  note!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

export class SightingsCreated {
  @ApiProperty({ type: [SightingResponse], description: 'In the order sent' })
  items!: SightingResponse[];
}

export class SightingPage {
  @ApiProperty({ type: [SightingResponse] })
  items!: SightingResponse[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}

/** Filters shared by the list and the summary. */
class SightingFilters {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only this indicator' })
  @IsOptional()
  @IsUUID()
  @Lowercase()
  indicatorId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'The reporting ISP' })
  @IsOptional()
  @IsUUID()
  organizationId?: string;

  @ApiPropertyOptional({
    example: '203.0.113.0/24',
    description: 'Sightings whose network is within this network (or is this address)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  network?: string;

  @ApiPropertyOptional({ description: 'Customer name, exact (case-insensitive)' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_CUSTOMER)
  customer?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'lastSeen at or after' })
  @IsOptional()
  @IsIsoDateTime()
  from?: Date;

  @ApiPropertyOptional({ format: 'date-time', description: 'lastSeen before' })
  @IsOptional()
  @IsIsoDateTime()
  to?: Date;
}

export class SightingListQuery extends IntersectionType(PageQuery, SightingFilters) {}

export class SightingSummaryQuery extends SightingFilters {
  @ApiPropertyOptional({ example: 'botnet', description: 'Only indicators with this tag' })
  @IsOptional()
  @IsString()
  @Matches(TAG_PATTERN, { message: 'tag is not a valid tag' })
  tag?: string;

  @ApiPropertyOptional({ enum: INDICATOR_TYPES })
  @IsOptional()
  @IsIn(INDICATOR_TYPES)
  type?: IndicatorType;

  @ApiPropertyOptional({ enum: ['json', 'csv'], default: 'json' })
  @IsOptional()
  @IsIn(['json', 'csv'])
  format?: 'json' | 'csv';
}

export class SummaryIndicator {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: INDICATOR_TYPES })
  type!: IndicatorType;

  @ApiProperty({ example: 'malware-c2.example.com' })
  value!: string;
}

export class SightingSummaryRow {
  @ApiProperty({ type: String, nullable: true, example: '203.0.113.0/26' })
  network!: string | null;

  @ApiProperty({ type: String, nullable: true })
  customer!: string | null;

  @ApiProperty({ format: 'uuid', description: 'The reporting ISP' })
  organizationId!: string;

  @ApiProperty({ example: 'VNPT' })
  organizationName!: string;

  @ApiProperty({ type: [SummaryIndicator], description: 'Indicators contacted, by value' })
  indicators!: SummaryIndicator[];

  @ApiProperty({ description: 'Sightings reported' })
  sightings!: number;

  @ApiProperty({ description: 'Sum of their counts' })
  totalCount!: number;

  @ApiProperty({ format: 'date-time' })
  firstSeen!: string;

  @ApiProperty({ format: 'date-time' })
  lastSeen!: string;
}

export class SightingSummary {
  @ApiProperty({ type: [SightingSummaryRow], description: 'Most hits first' })
  items!: SightingSummaryRow[];

  @ApiProperty({ description: `More than ${MAX_SUMMARY_ROWS} groups: narrow the filters` })
  truncated!: boolean;
}
