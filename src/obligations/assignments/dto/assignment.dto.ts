import { AssignmentState } from '#src/obligations/assignments/dto/assignment-state.dto.js';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import {
  CONFIRMATION_STATUSES,
  ITEM_OUTCOMES,
  MECHANISMS,
  type ConfirmationStatus,
  type ItemOutcome,
  type Mechanism,
} from '#src/obligations/assignments/confirmation-values.js';
import {
  ASSIGNMENT_STATUSES,
  type AssignmentStatus,
} from '#src/obligations/assignments/assignment.entity.js';
import { ITEM_OPERATIONS, INDICATOR_TYPES } from '#src/publishing/index.js';
import { PageQuery } from '#src/platform/pagination/index.js';
import { IsIsoDateTime, Lowercase, Omittable } from '#src/platform/problem/index.js';

export const MAX_CONFIRMATION_ITEMS = 100000;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** `?status=a&status=b` or `?status=a,b` → ['a', 'b']. */
export function listOf({ value }: { value: unknown }): unknown {
  if (value === undefined) return undefined;
  const values = Array.isArray(value) ? (value as unknown[]) : [value];
  return values.flatMap((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()) : [v]));
}

/** `true` / `false` in a query string; anything else is left for the validator to refuse. */
export function booleanQuery({ value }: { value: unknown }): unknown {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return value;
}

export class AssignmentListQuery extends PageQuery {
  @ApiPropertyOptional({
    description: 'One or several statuses (repeat the parameter, or separate with commas)',
    type: [String],
    enum: ASSIGNMENT_STATUSES,
    isArray: true,
  })
  @IsOptional()
  @Transform(listOf)
  @IsIn(ASSIGNMENT_STATUSES, {
    each: true,
    message: `status must be one of ${ASSIGNMENT_STATUSES.join(', ')}`,
  })
  status?: AssignmentStatus[];

  @ApiPropertyOptional({
    description: 'true: open and past the deadline now; false: the others',
    type: Boolean,
  })
  @IsOptional()
  @Transform(booleanQuery)
  @IsBoolean({ message: 'overdue must be true or false' })
  overdue?: boolean;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  requestId?: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'Department and auditors: one ISP only (an ISP always sees only its own)',
  })
  @IsOptional()
  @IsUUID()
  organizationId?: string;
}

export class AssignmentRequestSummary {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: '1234/STTTT-ATTT' }) documentNumber!: string;
  @ApiProperty() title!: string;
  @ApiProperty({ description: 'published, completed or withdrawn' }) status!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) publishedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) deadlineAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) legalBasis!: string | null;
  @ApiProperty() itemCount!: number;
}

export class AssignmentResponse extends AssignmentState {
  @ApiProperty({ format: 'uuid' }) requestId!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  lastConfirmationId!: string | null;
  @ApiProperty({ description: 'The feed version at which all its items were in your feed' })
  feedVersion!: number;
  @ApiProperty({ example: '1234/STTTT-ATTT' }) documentNumber!: string;
  @ApiProperty() title!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class AssignmentPage {
  @ApiProperty({ type: [AssignmentResponse] }) items!: AssignmentResponse[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

export class AssignmentItemResponse {
  @ApiProperty({ format: 'uuid' }) indicatorId!: string;
  @ApiProperty({ enum: INDICATOR_TYPES }) type!: string;
  @ApiProperty() value!: string;
  @ApiProperty({ enum: ITEM_OPERATIONS }) operation!: string;
  @ApiProperty({
    enum: ITEM_OUTCOMES,
    nullable: true,
    description: 'The latest outcome stated for this item (null: none yet)',
  })
  outcome!: ItemOutcome | null;
  @ApiProperty({ type: String, nullable: true }) outcomeReason!: string | null;
}

export class ConfirmationItemResponse {
  @ApiProperty({ format: 'uuid' }) indicatorId!: string;
  @ApiProperty({ enum: ITEM_OUTCOMES }) outcome!: ItemOutcome;
  @ApiProperty({ type: String, nullable: true }) reason!: string | null;
}

export class ConfirmationResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) assignmentId!: string;
  @ApiProperty({ format: 'uuid' }) organizationId!: string;
  @ApiProperty({ enum: CONFIRMATION_STATUSES }) status!: ConfirmationStatus;
  @ApiProperty({ type: String, nullable: true }) reason!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) appliedAt!: string | null;
  @ApiProperty({ enum: MECHANISMS, nullable: true }) mechanism!: Mechanism | null;
  @ApiProperty({ type: String, nullable: true }) evidence!: string | null;
  @ApiProperty({ type: String, nullable: true }) evidenceSha256!: string | null;
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'The feed receipt that made this confirmation',
  })
  receiptId!: string | null;
  @ApiProperty({ enum: ['user', 'api_client'] }) actorType!: string;
  @ApiProperty({ format: 'uuid' }) actorId!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: [ConfirmationItemResponse] }) items!: ConfirmationItemResponse[];
}

export class AssignmentDetail extends AssignmentResponse {
  @ApiProperty({ type: AssignmentRequestSummary }) request!: AssignmentRequestSummary;
  @ApiProperty({ type: [AssignmentItemResponse] }) items!: AssignmentItemResponse[];
  @ApiProperty({
    type: [ConfirmationResponse],
    description: 'Every confirmation, oldest first: corrections append, nothing is overwritten',
  })
  confirmations!: ConfirmationResponse[];
}

export class ConfirmationItemInput {
  @ApiProperty({ format: 'uuid' })
  @Lowercase()
  @IsUUID()
  indicatorId!: string;

  @ApiProperty({ enum: ITEM_OUTCOMES })
  @IsIn(ITEM_OUTCOMES)
  outcome!: ItemOutcome;

  @ApiPropertyOptional({ description: 'Required unless the outcome is applied', maxLength: 2000 })
  @Omittable()
  @IsString()
  @MaxLength(2000)
  reason?: string;
}

export class CreateConfirmation {
  @ApiProperty({ enum: CONFIRMATION_STATUSES })
  @IsIn(CONFIRMATION_STATUSES)
  status!: ConfirmationStatus;

  @ApiPropertyOptional({
    description: 'Required for rejected and partially_applied',
    maxLength: 2000,
    example: 'The address is our customer’s mail relay; the court order names another host',
  })
  @Omittable()
  @IsString()
  @MaxLength(2000)
  reason?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description:
      'When it took effect: required unless rejected; not in the future, not before the publication',
  })
  @Omittable()
  @IsIsoDateTime()
  appliedAt?: Date;

  @ApiPropertyOptional({ enum: MECHANISMS, description: 'Required unless rejected' })
  @Omittable()
  @IsIn(MECHANISMS)
  mechanism?: Mechanism;

  @ApiPropertyOptional({ example: 'RPZ serial 2026112801', maxLength: 2000 })
  @Omittable()
  @IsString()
  @MaxLength(2000)
  evidence?: string;

  @ApiPropertyOptional({ description: 'SHA-256 of an evidence file, 64 hex digits (either case)' })
  @Omittable()
  @IsString()
  @Lowercase()
  @Matches(SHA256_HEX, { message: 'evidenceSha256 must be 64 hex digits' })
  evidenceSha256?: string;

  @ApiPropertyOptional({
    type: [ConfirmationItemInput],
    description: 'Per-indicator outcomes (items of the request, each at most once)',
    maxItems: MAX_CONFIRMATION_ITEMS,
  })
  @Omittable()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_CONFIRMATION_ITEMS)
  // An array among the items would pass ValidateNested (it validates an array's elements).
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => ConfirmationItemInput)
  items?: ConfirmationItemInput[];
}
