import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Matches, MaxLength, MinLength } from 'class-validator';
import { PageQuery } from '#src/platform/pagination/index.js';
import { IsIsoDateTime, Lowercase } from '#src/platform/problem/index.js';

/** `blocking_request.approve` (exact) or `blocking_request.` (every action with that prefix). */
export const ACTION_FILTER = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*\.?$/;
export const OBJECT_TYPE_FILTER = /^[a-z][a-z0-9_]*$/;

/** The page (`limit`, `cursor`: the shared PageQuery; the cursor is this search's own). */
export class AuditSearchQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'date-time', description: 'Events at or after' })
  @IsOptional()
  @IsIsoDateTime()
  from?: Date;

  @ApiPropertyOptional({ format: 'date-time', description: 'Events before' })
  @IsOptional()
  @IsIsoDateTime()
  to?: Date;

  @ApiPropertyOptional({ format: 'uuid', description: 'The user or API client that acted' })
  @IsOptional()
  @Lowercase()
  @IsUUID()
  actorId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: "The actor's organization" })
  @IsOptional()
  @Lowercase()
  @IsUUID()
  organizationId?: string;

  @ApiPropertyOptional({ example: 'blocking_request', description: 'The kind of object acted on' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @Matches(OBJECT_TYPE_FILTER, { message: 'objectType must be a lowercase name like indicator' })
  objectType?: string;

  @ApiPropertyOptional({
    description: 'The object acted on (exact); requires objectType',
    maxLength: 200,
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  objectId?: string;

  @ApiPropertyOptional({
    example: 'blocking_request.',
    description:
      'An action, exact (`blocking_request.approve`), or a prefix ending with a dot (`blocking_request.` selects every blocking_request action)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @Matches(ACTION_FILTER, {
    message:
      'action must be a dotted action like blocking_request.approve, or a prefix ending in .',
  })
  action?: string;
}

export class AuditActor {
  @ApiProperty({ enum: ['user', 'api_client', 'system'] })
  type!: 'user' | 'api_client' | 'system';

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'null for system' })
  id!: string | null;
}

export class AuditEventResponse {
  @ApiProperty({ example: '1024', description: 'The row id (a string: a 64-bit integer)' })
  id!: string;

  @ApiProperty({
    example: 1024,
    description: "The event's place in the chain: dense from 1 (GET /audit/verify checks it)",
  })
  seq!: number;

  @ApiProperty({
    example: '9f2c…',
    description:
      'The chain hash after this event: SHA-256(previous hash ‖ SHA-256(JCS(event))), hex',
  })
  hash!: string;

  @ApiProperty({ format: 'date-time' })
  at!: string;

  @ApiProperty({ type: AuditActor })
  actor!: AuditActor;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  organizationId!: string | null;

  @ApiProperty({ type: [String], example: ['approver'] })
  roles!: string[];

  @ApiProperty({ example: 'blocking_request.approve' })
  action!: string;

  @ApiProperty({ example: 'blocking_request' })
  objectType!: string;

  @ApiProperty({ type: String, nullable: true })
  objectId!: string | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'A short before/after summary',
  })
  summary!: Record<string, unknown>;

  @ApiProperty({ type: String, nullable: true })
  requestId!: string | null;

  @ApiProperty({ type: String, nullable: true })
  clientIp!: string | null;
}

export class AuditEventPage {
  @ApiProperty({ type: [AuditEventResponse] })
  items!: AuditEventResponse[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}
