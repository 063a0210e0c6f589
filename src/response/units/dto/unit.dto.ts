import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { ContactsDto } from '#src/identity/index.js';
import { PageQuery } from '#src/platform/pagination/index.js';
import { Omittable } from '#src/platform/problem/index.js';

export const UNIT_CATEGORIES = ['commune', 'office', 'agency'] as const;
export type UnitCategory = (typeof UNIT_CATEGORIES)[number];

/** Networks per request, and per unit in all. */
export const MAX_UNIT_NETWORKS = 1000;
export const MAX_UNIT_ASNS = 100;
export const MAX_ASN = 4294967295;
export const MAX_DISTRICT = 200;
export const SHORT_CODE = /^[A-Za-z0-9][A-Za-z0-9-]{1,31}$/;

const NETWORK_EXAMPLE = ['113.160.12.0/24', '2402:800:1234::/48'];

export class CreateUnitRequest {
  @ApiProperty({ example: 'Phường Điện Biên', minLength: 2, maxLength: 200 })
  @IsString()
  @MinLength(2)
  @MaxLength(200)
  name!: string;

  @ApiProperty({ example: 'UB-DIENBIEN', description: 'Unique; letters, digits and dashes' })
  @IsString()
  @Matches(SHORT_CODE, { message: 'shortCode must be 2–32 letters, digits or dashes' })
  shortCode!: string;

  @ApiProperty({ enum: UNIT_CATEGORIES })
  @IsIn(UNIT_CATEGORIES)
  category!: UnitCategory;

  @ApiPropertyOptional({ example: 'Ba Đình', maxLength: MAX_DISTRICT })
  @Omittable()
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_DISTRICT)
  district?: string;

  @ApiPropertyOptional({ type: ContactsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => ContactsDto)
  contacts?: ContactsDto;

  @ApiProperty({
    type: [String],
    maxItems: MAX_UNIT_NETWORKS,
    example: NETWORK_EXAMPLE,
    description:
      'Aligned CIDRs or addresses (a bare address is a /32 or /128). None may overlap another (of this unit or any other) or a protected network.',
  })
  @IsArray()
  @ArrayMaxSize(MAX_UNIT_NETWORKS)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  networks!: string[];

  @ApiPropertyOptional({ type: [Number], maxItems: MAX_UNIT_ASNS, example: [45899] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_UNIT_ASNS)
  @IsInt({ each: true })
  @Min(1, { each: true })
  @Max(MAX_ASN, { each: true })
  asns?: number[];
}

export class UpdateUnitRequest {
  @ApiProperty({ description: 'The version you read: a newer one on the server is a 409' })
  @IsInt()
  @Min(1)
  @Max(2147483647)
  version!: number;

  @ApiPropertyOptional({ minLength: 2, maxLength: 200 })
  @Omittable()
  @IsString()
  @MinLength(2)
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ enum: UNIT_CATEGORIES })
  @Omittable()
  @IsIn(UNIT_CATEGORIES)
  category?: UnitCategory;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: MAX_DISTRICT,
    description: 'null clears it',
  })
  @ValidateIf((_o: object, v: unknown) => v !== undefined && v !== null)
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_DISTRICT)
  district?: string | null;

  @ApiPropertyOptional({ type: ContactsDto, description: 'Replaces the contacts' })
  @IsOptional()
  @ValidateNested()
  @Type(() => ContactsDto)
  contacts?: ContactsDto;

  @ApiPropertyOptional({ type: [Number], maxItems: MAX_UNIT_ASNS, description: 'Replaces them' })
  @Omittable()
  @IsArray()
  @ArrayMaxSize(MAX_UNIT_ASNS)
  @IsInt({ each: true })
  @Min(1, { each: true })
  @Max(MAX_ASN, { each: true })
  asns?: number[];
}

export class AddUnitNetworksRequest {
  @ApiProperty({
    type: [String],
    minItems: 1,
    maxItems: MAX_UNIT_NETWORKS,
    example: NETWORK_EXAMPLE,
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_UNIT_NETWORKS)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  networks!: string[];
}

class UnitFilters {
  @ApiPropertyOptional({ enum: UNIT_CATEGORIES })
  @IsOptional()
  @IsIn(UNIT_CATEGORIES)
  category?: UnitCategory;

  @ApiPropertyOptional({ description: 'District, exact (case-insensitive)' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_DISTRICT)
  district?: string;

  @ApiPropertyOptional({ description: 'Name or short code contains (case-insensitive)' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  q?: string;
}

export class UnitListQuery extends IntersectionType(PageQuery, UnitFilters) {}

export class UnitNetworkResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: '113.160.12.0/24' })
  network!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

export class UnitSummaryResponse {
  @ApiProperty({ format: 'uuid', description: 'The unit’s organization' })
  id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty()
  shortCode!: string;

  @ApiProperty({ enum: UNIT_CATEGORIES })
  category!: UnitCategory;

  @ApiProperty({ type: String, nullable: true })
  district!: string | null;

  @ApiProperty({ type: ContactsDto })
  contacts!: ContactsDto;

  @ApiProperty({ type: [Number] })
  asns!: number[];

  @ApiProperty({ description: 'Networks the unit has' })
  networkCount!: number;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;

  @ApiProperty()
  version!: number;
}

export class UnitResponse extends UnitSummaryResponse {
  @ApiProperty({ type: [UnitNetworkResponse], description: 'By address' })
  networks!: UnitNetworkResponse[];
}

export class UnitPage {
  @ApiProperty({ type: [UnitSummaryResponse] })
  items!: UnitSummaryResponse[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}

export class UnitImportResult {
  @ApiProperty({ description: 'Units created' })
  units!: number;

  @ApiProperty({ description: 'Networks created' })
  networks!: number;
}
