import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { booleanQuery } from '#src/obligations/assignments/dto/assignment.dto.js';
import {
  HASH_CHECKS,
  MECHANISMS,
  RECEIPT_FORMATS,
  type HashCheck,
  type Mechanism,
  type ReceiptFormat,
} from '#src/obligations/assignments/confirmation-values.js';
import { PageQuery } from '#src/platform/pagination/index.js';
import { IntegerParam, IsIsoDateTime, Lowercase, Omittable } from '#src/platform/problem/index.js';

export class CreateFeedReceipt {
  @ApiProperty({ minimum: 1, example: 4211, description: 'The feed version you deployed' })
  @IntegerParam(1, Number.MAX_SAFE_INTEGER)
  version!: number;

  @ApiProperty({ enum: RECEIPT_FORMATS, description: 'The format you deployed it from' })
  @IsIn(RECEIPT_FORMATS)
  format!: ReceiptFormat;

  @ApiProperty({
    format: 'date-time',
    description: 'When it took effect: not in the future, not before the publications it covers',
  })
  @IsIsoDateTime()
  appliedAt!: Date;

  @ApiProperty({ enum: MECHANISMS })
  @IsIn(MECHANISMS)
  mechanism!: Mechanism;

  @ApiPropertyOptional({ example: 'RPZ serial 4211 loaded on ns1, ns2', maxLength: 2000 })
  @Omittable()
  @IsString()
  @MaxLength(2000)
  evidence?: string;

  @ApiPropertyOptional({
    description:
      'SHA-256 (64 hex digits, either case) of the body you deployed: the uncompressed snapshot, or the /feed/changes page that reached this version',
  })
  @Omittable()
  @IsString()
  @Lowercase()
  @Matches(/^[0-9a-f]{64}$/, { message: 'sha256 must be 64 hex digits' })
  sha256?: string;
}

export class FeedReceiptResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) organizationId!: string;
  @ApiProperty() version!: number;
  @ApiProperty({ enum: RECEIPT_FORMATS }) format!: string;
  @ApiProperty({ format: 'date-time' }) appliedAt!: string;
  @ApiProperty({ enum: MECHANISMS }) mechanism!: string;
  @ApiProperty({ type: String, nullable: true }) evidence!: string | null;
  @ApiProperty({ type: String, nullable: true }) sha256!: string | null;
  @ApiProperty({
    enum: HASH_CHECKS,
    description:
      'matched: a body with this hash was served to you at this version in this format; mismatch: not (flagged for the Department, the receipt is kept); not_given: no hash sent',
  })
  hashCheck!: HashCheck;
  @ApiProperty({ description: 'hashCheck is mismatch' }) flagged!: boolean;
  @ApiProperty({ description: 'Open assignments this receipt confirmed' })
  assignmentsConfirmed!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class SkippedAssignment {
  @ApiProperty({ format: 'uuid' })
  assignmentId!: string;
  @ApiProperty({
    example: 'published at 2026-11-01T10:00:00.000Z, after appliedAt: confirm it on its own',
  })
  reason!: string;
}

export class FeedReceiptCreated extends FeedReceiptResponse {
  @ApiProperty({ type: [String], format: 'uuid', description: 'The assignments it confirmed' })
  confirmedAssignmentIds!: string[];
  @ApiProperty({
    type: [SkippedAssignment],
    description:
      'Open assignments the version covers but the receipt could not confirm (their request was published after appliedAt), with the reason',
  })
  skippedAssignments!: SkippedAssignment[];
}

export class FeedReceiptListQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'Department and auditors: one ISP only' })
  @IsOptional()
  @IsUUID()
  organizationId?: string;

  @ApiPropertyOptional({ type: Boolean, description: 'true: only receipts whose hash mismatched' })
  @IsOptional()
  @Transform(booleanQuery)
  @IsBoolean({ message: 'flagged must be true or false' })
  flagged?: boolean;
}

export class FeedReceiptPage {
  @ApiProperty({ type: [FeedReceiptResponse] }) items!: FeedReceiptResponse[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}
