import { Omittable } from '#src/platform/problem/index.js';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsOptional,
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { INDICATOR_TYPES, type IndicatorType } from '#src/publishing/indicators/canonical.js';
import {
  PROTECTED_ENTRY_KINDS,
  PROTECTED_LIST_ORIGINS,
  type ProtectedEntryEntity,
  type ProtectedEntryKindColumn,
  type ProtectedListEntity,
  type ProtectedListOrigin,
} from '#src/publishing/protected-lists/protected-list.entity.js';

export const MAX_ENTRIES_PER_REQUEST = 10000;
export const MAX_CHECK_VALUES = 100000;

export class CreateProtectedListRequest {
  @ApiProperty({ example: 'Provincial hospitals' })
  @IsString()
  @MinLength(2)
  @MaxLength(200)
  name!: string;

  @ApiPropertyOptional()
  @Omittable()
  @IsString()
  @MaxLength(2000)
  description?: string;
}

export class UpdateProtectedListRequest {
  @ApiProperty({ description: 'The version you read: a newer one on the server is a 409' })
  @IsInt()
  @Min(1)
  @Max(2147483647)
  version!: number;

  @ApiPropertyOptional()
  @Omittable()
  @IsString()
  @MinLength(2)
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional()
  @Omittable()
  @IsString()
  @MaxLength(2000)
  description?: string;

  @ApiPropertyOptional({ description: 'A disabled list protects nothing' })
  @Omittable()
  @IsBoolean()
  enabled?: boolean;
}

export class NewProtectedEntry {
  @ApiProperty({
    enum: PROTECTED_ENTRY_KINDS,
    description:
      'hostname: the name and all names under it; cidr: every address in the network (an address alone is a /32 or /128); string: exactly this value',
  })
  @IsIn(PROTECTED_ENTRY_KINDS)
  kind!: ProtectedEntryKindColumn;

  @ApiProperty({ example: 'benhvien.thanhhoa.gov.vn' })
  @IsString()
  @MinLength(1)
  @MaxLength(4096)
  value!: string;

  @ApiPropertyOptional()
  @Omittable()
  @IsString()
  @MaxLength(500)
  comment?: string;
}

export class AddProtectedEntriesRequest {
  @ApiProperty({ type: [NewProtectedEntry], maxItems: MAX_ENTRIES_PER_REQUEST })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ENTRIES_PER_REQUEST)
  // An array among the items would pass ValidateNested (it validates an array's elements).
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => NewProtectedEntry)
  entries!: NewProtectedEntry[];
}

export class CheckItem {
  @ApiPropertyOptional({ enum: INDICATOR_TYPES, description: 'Detected if absent' })
  @Omittable()
  @IsIn(INDICATOR_TYPES)
  type?: IndicatorType;

  @ApiProperty({ example: 'mail.gov.vn' })
  @IsString()
  @MaxLength(4096)
  value!: string;
}

export class ProtectedCheckRequest {
  @ApiPropertyOptional({
    type: [String],
    maxItems: MAX_CHECK_VALUES,
    description: 'Values with their type detected',
    example: ['mail.gov.vn', '10.1.2.3', 'evil.example.com'],
  })
  @Omittable()
  @IsArray()
  @ArrayMaxSize(MAX_CHECK_VALUES)
  @IsString({ each: true })
  values?: string[];

  @ApiPropertyOptional({ type: [CheckItem], maxItems: MAX_CHECK_VALUES })
  @Omittable()
  @IsArray()
  @ArrayMaxSize(MAX_CHECK_VALUES)
  // An array among the items would pass ValidateNested (it validates an array's elements).
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => CheckItem)
  items?: CheckItem[];
}

/** `POST /protected-lists/check?results=…`: the protected values only, or every valid value. */
export class ProtectedCheckQuery {
  @ApiPropertyOptional({
    enum: ['protected', 'all'],
    default: 'protected',
    description:
      '`all`: a result for every valid value (its canonical value and type, `matches` empty when it is not protected), for a client that shows what will be stored before adding it. Default: the protected values only.',
  })
  @IsOptional()
  @IsIn(['protected', 'all'], { message: 'results must be protected or all' })
  results?: 'protected' | 'all';
}

export class ProtectedMatchDto {
  @ApiProperty({ format: 'uuid' }) listId!: string;
  @ApiProperty() listName!: string;
  @ApiProperty({ format: 'uuid' }) entryId!: string;
  @ApiProperty({ enum: PROTECTED_ENTRY_KINDS }) kind!: string;
  @ApiProperty({ example: 'gov.vn' }) entry!: string;
  @ApiProperty({ example: 'under protected hostname gov.vn' }) reason!: string;
}

export class CheckResult {
  @ApiProperty({ description: 'Position in the request (values first, then items)' })
  index!: number;
  @ApiProperty() input!: string;
  @ApiProperty({ enum: INDICATOR_TYPES }) type!: IndicatorType;
  @ApiProperty({ description: 'Canonical value' }) value!: string;
  @ApiProperty({ type: [ProtectedMatchDto] }) matches!: ProtectedMatchDto[];
}

export class CheckInvalid {
  @ApiProperty() index!: number;
  @ApiProperty() input!: string;
  @ApiProperty() reason!: string;
}

export class ProtectedCheckResponse {
  @ApiProperty() checked!: number;
  @ApiProperty({ description: 'How many values are protected' }) matched!: number;
  @ApiProperty({
    type: [CheckResult],
    description: 'The protected values (with `results=all`: every valid value)',
  })
  results!: CheckResult[];
  @ApiProperty({ type: [CheckInvalid], description: 'Values that are not valid indicators' })
  invalid!: CheckInvalid[];
}

export class ProtectedListResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ enum: PROTECTED_LIST_ORIGINS }) origin!: ProtectedListOrigin;
  @ApiProperty({ type: Number, nullable: true }) sourceVersion!: number | null;
  @ApiProperty() enabled!: boolean;
  @ApiProperty() entryCount!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty() version!: number;
}

export class ProtectedListPage {
  @ApiProperty({ type: [ProtectedListResponse] }) items!: ProtectedListResponse[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

export class ProtectedEntryResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) listId!: string;
  @ApiProperty({ enum: PROTECTED_ENTRY_KINDS }) kind!: string;
  @ApiProperty() value!: string;
  @ApiProperty({ type: String, nullable: true }) comment!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class ProtectedEntryPage {
  @ApiProperty({ type: [ProtectedEntryResponse] }) items!: ProtectedEntryResponse[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

export class AddEntriesResponse {
  @ApiProperty() added!: number;
  @ApiProperty({ description: 'Present already' }) unchanged!: number;
  @ApiProperty({ type: [Object], description: 'How values were normalized, when they were' })
  notes!: { value: string; note: string }[];
}

export class MispImportResponse {
  @ApiProperty({ type: ProtectedListResponse }) list!: ProtectedListResponse;
  @ApiProperty() added!: number;
  @ApiProperty() removed!: number;
  @ApiProperty({ type: [Object], description: 'Values left out, with the reason' })
  skipped!: { value: string; reason: string }[];
  @ApiProperty({ type: [Object], description: 'Values kept in another form' })
  notes!: { value: string; note: string }[];
}

export function toListResponse(l: ProtectedListEntity, entryCount: number): ProtectedListResponse {
  return {
    id: l.id,
    name: l.name,
    description: l.description,
    origin: l.origin,
    sourceVersion: l.sourceVersion,
    enabled: l.enabled,
    entryCount,
    createdAt: l.createdAt.toISOString(),
    updatedAt: l.updatedAt.toISOString(),
    version: l.version,
  };
}

export function toEntryResponse(e: ProtectedEntryEntity): ProtectedEntryResponse {
  return {
    id: e.id,
    listId: e.listId,
    kind: e.kind,
    value: e.value,
    comment: e.comment,
    createdAt: e.createdAt.toISOString(),
  };
}
