import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { PageQuery } from '#src/platform/pagination/index.js';
import { IsIsoDateTime, Lowercase, Omittable } from '#src/platform/problem/index.js';

export const INCIDENT_CATEGORIES = [
  'malware',
  'botnet',
  'phishing',
  'ddos',
  'intrusion',
  'defacement',
  'data_leak',
  'vulnerability',
  'spam',
  'other',
] as const;
export type IncidentCategory = (typeof INCIDENT_CATEGORIES)[number];

export const INCIDENT_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type IncidentSeverity = (typeof INCIDENT_SEVERITIES)[number];

export const INCIDENT_STATUSES = [
  'new',
  'triaged',
  'awaiting_information',
  'resolved',
  'closed',
] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export const INCIDENT_EVENT_KINDS = [
  'created',
  'assigned',
  'information_requested',
  'information_provided',
  'note',
  'case_linked',
  'request_drafted',
  'status_changed',
  'reminder',
  'overdue',
  'attachment_added',
] as const;
export type IncidentEventKind = (typeof INCIDENT_EVENT_KINDS)[number];

export const MAX_TITLE = 300;
export const MAX_AFFECTED_SYSTEMS = 4000;
export const MAX_DESCRIPTION = 20_000;
export const MAX_INDICATORS = 1000;
export const MAX_MESSAGE = 8000;
export const MAX_ATTACHMENTS = 10;

export class CreateIncidentRequest {
  @ApiProperty({ enum: INCIDENT_CATEGORIES })
  @IsIn(INCIDENT_CATEGORIES)
  category!: IncidentCategory;

  @ApiProperty({
    enum: INCIDENT_SEVERITIES,
    description: 'Sets the SLA: the report is due resolved within INCIDENT_SLA_<SEVERITY>_HOURS',
  })
  @IsIn(INCIDENT_SEVERITIES)
  severity!: IncidentSeverity;

  @ApiProperty({ example: 'Web server defaced', minLength: 1, maxLength: MAX_TITLE })
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_TITLE)
  title!: string;

  @ApiPropertyOptional({ example: 'portal.commune.example (203.0.113.10)', maxLength: 4000 })
  @Omittable()
  @IsString()
  @MaxLength(MAX_AFFECTED_SYSTEMS)
  affectedSystems?: string;

  @ApiProperty({ description: 'What was seen', minLength: 1, maxLength: MAX_DESCRIPTION })
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_DESCRIPTION)
  description!: string;

  @ApiPropertyOptional({
    type: [String],
    maxItems: MAX_INDICATORS,
    example: ['malware-c2.example.com', '198.51.100.7', 'http://phish.example.net/login'],
    description:
      'Domains, addresses, networks, URLs or hashes, type detected and canonicalized as indicators are; duplicates merged. A value that cannot be read is a 400 naming indicators[i].',
  })
  @Omittable()
  @IsArray()
  @ArrayMaxSize(MAX_INDICATORS)
  @IsString({ each: true })
  @MaxLength(4096, { each: true })
  indicators?: string[];

  @ApiPropertyOptional({ format: 'date-time', description: 'When it happened; not in the future' })
  @Omittable()
  @IsIsoDateTime()
  occurredAt?: Date;
}

class IncidentFilters {
  @ApiPropertyOptional({ enum: INCIDENT_STATUSES })
  @IsOptional()
  @IsIn(INCIDENT_STATUSES)
  status?: IncidentStatus;

  @ApiPropertyOptional({ enum: INCIDENT_SEVERITIES })
  @IsOptional()
  @IsIn(INCIDENT_SEVERITIES)
  severity?: IncidentSeverity;

  @ApiPropertyOptional({ enum: INCIDENT_CATEGORIES })
  @IsOptional()
  @IsIn(INCIDENT_CATEGORIES)
  category?: IncidentCategory;

  @ApiPropertyOptional({ format: 'uuid', description: 'Assigned to this responder' })
  @IsOptional()
  @IsUUID()
  @Lowercase()
  assigneeId?: string;
}

export class IncidentListQuery extends IntersectionType(PageQuery, IncidentFilters) {}

export class IncidentIndicator {
  @ApiProperty({ example: 'domain' })
  type!: string;

  @ApiProperty({ example: 'malware-c2.example.com' })
  value!: string;
}

export class IncidentResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'INC-2026-000042' })
  reference!: string;

  @ApiProperty({ format: 'uuid', description: 'The reporting organization' })
  reporterOrganizationId!: string;

  @ApiProperty({ enum: ['user', 'api_client', 'email'] })
  reporterType!: 'user' | 'api_client' | 'email';

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  reporterId!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'For a report received by e-mail' })
  reporterEmail!: string | null;

  @ApiProperty({ enum: ['api', 'email'] })
  source!: 'api' | 'email';

  @ApiProperty({ enum: INCIDENT_CATEGORIES })
  category!: IncidentCategory;

  @ApiProperty({ enum: INCIDENT_SEVERITIES })
  severity!: IncidentSeverity;

  @ApiProperty()
  title!: string;

  @ApiProperty({ type: String, nullable: true })
  affectedSystems!: string | null;

  @ApiProperty()
  description!: string;

  @ApiProperty({ type: [IncidentIndicator] })
  indicators!: IncidentIndicator[];

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  occurredAt!: string | null;

  @ApiProperty({ enum: INCIDENT_STATUSES })
  status!: IncidentStatus;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  assigneeId!: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  caseId!: string | null;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'The blocking request drafted from its indicators',
  })
  requestId!: string | null;

  @ApiProperty({
    format: 'date-time',
    description: 'Due resolved by then (the SLA of its severity, measured to resolution)',
  })
  dueAt!: string;

  @ApiProperty({ description: 'Past dueAt and neither resolved nor closed' })
  overdue!: boolean;

  @ApiProperty({ type: String, nullable: true })
  resolution!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  resolvedAt!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;

  @ApiProperty({ description: 'Send it back with each triage action (409 if it changed)' })
  version!: number;
}

export class IncidentEventResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: INCIDENT_EVENT_KINDS })
  kind!: IncidentEventKind;

  @ApiProperty({ enum: ['user', 'api_client', 'email', 'system'] })
  actorType!: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  actorId!: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  organizationId!: string | null;

  @ApiProperty({ type: String, nullable: true })
  body!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

export class AttachmentResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'resolver.log' })
  filename!: string;

  @ApiProperty({ example: 'text/plain' })
  contentType!: string;

  @ApiProperty({ example: 18231 })
  sizeBytes!: number;

  @ApiProperty({ example: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' })
  sha256!: string;

  @ApiProperty({ enum: ['user', 'api_client', 'email'] })
  uploadedByType!: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  uploadedById!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

export class IncidentDetail extends IncidentResponse {
  @ApiProperty({ type: [IncidentEventResponse], description: 'Oldest first' })
  events!: IncidentEventResponse[];

  @ApiProperty({ type: [AttachmentResponse] })
  attachments!: AttachmentResponse[];
}

export class IncidentPage {
  @ApiProperty({ type: [IncidentResponse] })
  items!: IncidentResponse[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}

export class AttachmentQuery {
  @ApiPropertyOptional({
    example: 'resolver.log',
    maxLength: 1000,
    description:
      'The file name; kept as its last path segment without control characters, at most 200 characters',
  })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  filename?: string;
}

export class VersionedIncidentAction {
  @ApiProperty({ description: 'The version you read: a newer one on the server is a 409' })
  @IsInt()
  @Min(1)
  @Max(2147483647)
  version!: number;
}

export class AssignIncidentRequest extends VersionedIncidentAction {
  @ApiProperty({ format: 'uuid', description: 'A responder of the Department' })
  @IsUUID()
  @Lowercase()
  assigneeId!: string;
}

export class IncidentMessageRequest extends VersionedIncidentAction {
  @ApiProperty({ minLength: 1, maxLength: MAX_MESSAGE })
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_MESSAGE)
  message!: string;
}

export class LinkCaseRequest extends VersionedIncidentAction {
  @ApiProperty({ format: 'uuid', description: 'A unit’s case' })
  @IsUUID()
  @Lowercase()
  caseId!: string;
}

export class DraftRequestFromIncident extends VersionedIncidentAction {
  @ApiPropertyOptional({
    minLength: 3,
    maxLength: 300,
    description: 'Default: the incident’s title',
  })
  @Omittable()
  @IsString()
  @MinLength(3)
  @MaxLength(300)
  title?: string;

  @ApiPropertyOptional({
    minLength: 3,
    maxLength: 1000,
    description: 'The legal basis of the request; default: the incident report’s reference',
  })
  @Omittable()
  @IsString()
  @MinLength(3)
  @MaxLength(1000)
  reason?: string;

  @ApiPropertyOptional({ description: 'Addressed to every ISP (the default when no ISP is named)' })
  @Omittable()
  @IsBoolean()
  targetsAll?: boolean;

  @ApiPropertyOptional({ type: [String], format: 'uuid', maxItems: 500 })
  @Omittable()
  @IsArray()
  @ArrayMaxSize(500)
  @IsUUID('all', { each: true })
  targetOrganizationIds?: string[];
}

export class ResolveIncidentRequest extends VersionedIncidentAction {
  @ApiProperty({ minLength: 1, maxLength: MAX_MESSAGE, description: 'What was done' })
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_MESSAGE)
  resolution!: string;
}
