import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IntegerParam } from '#src/platform/problem/index.js';
import { IsOptional, Matches } from 'class-validator';

export class AuditVerifyQuery {
  @ApiPropertyOptional({ minimum: 1, description: 'First event of the range (default 1)' })
  @IsOptional()
  @IntegerParam(1, Number.MAX_SAFE_INTEGER)
  fromSeq?: number;

  @ApiPropertyOptional({
    minimum: 1,
    description: 'Last event of the range (default: the end of the chain)',
  })
  @IsOptional()
  @IntegerParam(1, Number.MAX_SAFE_INTEGER)
  toSeq?: number;

  @ApiPropertyOptional({
    description:
      'A checkpoint held elsewhere (the `X-Audit-Checkpoint` value an ISP received): the chain must reach its size with its head, even if the checkpoint rows here were removed',
  })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,2000}$/, {
    message: 'checkpoint must be an X-Audit-Checkpoint value (base64url)',
  })
  checkpoint?: string;
}

export class ChainBreakResponse {
  @ApiProperty({
    enum: ['gap', 'order', 'content', 'link', 'checkpoint', 'truncated', 'head'],
    description:
      'gap: an event is missing; order: a number repeats; content: an event was edited; link: its hash does not follow the previous one (swapped or relinked); checkpoint: a signed checkpoint does not match or does not verify; truncated: events a checkpoint covers are gone; head: the head row was moved',
  })
  kind!: string;

  @ApiProperty({ description: 'The first event (seq) that does not verify' })
  seq!: number;

  @ApiProperty({ example: 'event 57 was altered: its content does not match its digest' })
  message!: string;
}

export class AuditHeadResponse {
  @ApiProperty()
  seq!: number;

  @ApiProperty({ description: 'SHA-256, hex' })
  hash!: string;
}

export class AuditVerification {
  @ApiProperty()
  valid!: boolean;

  @ApiProperty()
  fromSeq!: number;

  @ApiProperty()
  toSeq!: number;

  @ApiProperty({ description: 'The last event that verified (fromSeq − 1 when none did)' })
  verifiedThrough!: number;

  @ApiProperty({ description: 'Events that verified' })
  events!: number;

  @ApiProperty({ description: 'Signed checkpoints in the range checked against the chain' })
  checkpointsChecked!: number;

  @ApiProperty({ type: AuditHeadResponse, description: 'What the head row says' })
  head!: AuditHeadResponse;

  @ApiProperty({ type: ChainBreakResponse, nullable: true })
  firstBreak!: ChainBreakResponse | null;

  @ApiProperty()
  durationMs!: number;
}
