import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
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
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { PageQuery } from '#src/platform/pagination/index.js';
import { Lowercase, Omittable } from '#src/platform/problem/index.js';
import { CASE_STATUSES, type CaseStatus } from '#src/response/cases/cases.repository.js';

export const REMEDIATION_KINDS = [
  'cleaned',
  'patched',
  'reimaged',
  'isolated',
  'credentials_reset',
  'other',
] as const;
export type RemediationKind = (typeof REMEDIATION_KINDS)[number];
export const MAX_SUMMARY = 4000;
export const MAX_DETAIL = 1000;
export const MAX_ACTIONS = 50;
/** Connections shown in a case's detail; the rest by `GET /cases/{id}/connections`. */
export const DETAIL_CONNECTIONS = 500;

export class CaseListQuery extends PageQuery {
  @ApiPropertyOptional({ enum: CASE_STATUSES })
  @IsOptional()
  @IsIn(CASE_STATUSES, { message: `status must be one of ${CASE_STATUSES.join(', ')}` })
  status?: CaseStatus;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only this unit’s cases' })
  @IsOptional()
  @Lowercase()
  @IsUUID()
  unitId?: string;
}

export class VersionedCaseAction {
  @ApiProperty({ description: 'The version you read: a newer one on the server is a 409' })
  @IsInt()
  @Min(1)
  @Max(2147483647)
  version!: number;
}

export class RemediationAction {
  @ApiProperty({ enum: REMEDIATION_KINDS })
  @IsIn(REMEDIATION_KINDS, { message: `kind must be one of ${REMEDIATION_KINDS.join(', ')}` })
  kind!: RemediationKind;

  @ApiPropertyOptional({ maxLength: MAX_DETAIL, example: 'Reinstalled the 3 infected PCs' })
  @Omittable()
  @IsString()
  @MaxLength(MAX_DETAIL)
  detail?: string;
}

export class ReportRemediation extends VersionedCaseAction {
  @ApiProperty({
    minLength: 1,
    maxLength: MAX_SUMMARY,
    example: 'Found and cleaned the infected machines; patched the router firmware',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_SUMMARY)
  summary!: string;

  @ApiProperty({ type: [RemediationAction], minItems: 1, maxItems: MAX_ACTIONS })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ACTIONS)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => RemediationAction)
  actions!: RemediationAction[];
}

export class CaseActor {
  @ApiProperty({ enum: ['user', 'api_client'] }) type!: 'user' | 'api_client';
  @ApiProperty({ format: 'uuid' }) id!: string;
}

export class RemediationReport {
  @ApiProperty() summary!: string;
  @ApiProperty({ type: [RemediationAction] }) actions!: RemediationAction[];
}

export class CaseResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) unitId!: string;
  @ApiProperty() unitName!: string;
  @ApiProperty() unitShortCode!: string;
  @ApiProperty({ enum: CASE_STATUSES }) status!: CaseStatus;
  @ApiProperty({ format: 'date-time' }) openedAt!: string;
  @ApiProperty({ format: 'date-time' }) deadlineAt!: string;
  @ApiProperty({ description: 'Open or acknowledged and past the deadline, at read time' })
  overdue!: boolean;
  @ApiProperty({ format: 'date-time' }) firstSeen!: string;
  @ApiProperty({ format: 'date-time' }) lastSeen!: string;
  @ApiProperty({ description: 'Distinct internal addresses' }) infectedAddresses!: number;
  @ApiProperty({ description: 'Distinct C2s' }) c2Count!: number;
  @ApiProperty({ description: 'Connection rows (address × C2)' }) connectionCount!: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  acknowledgedAt!: string | null;
  @ApiProperty({ type: CaseActor, nullable: true }) acknowledgedBy!: CaseActor | null;
  @ApiProperty({ type: RemediationReport, nullable: true }) remediation!: RemediationReport | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) remediatedAt!: string | null;
  @ApiProperty({ type: CaseActor, nullable: true }) remediatedBy!: CaseActor | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) closedAt!: string | null;
  @ApiProperty({ description: 'Times it was reopened after closing' }) reopenCount!: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) reopenedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) remindedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) escalatedAt!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty() version!: number;
}

export class CaseConnection {
  @ApiProperty({ example: '198.51.100.7/32' }) address!: string;
  @ApiProperty({ example: 'domain' }) c2Type!: string;
  @ApiProperty({ example: 'malware-c2.example.com' }) c2Value!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) indicatorId!: string | null;
  @ApiProperty() count!: number;
  @ApiProperty({ format: 'date-time' }) firstSeen!: string;
  @ApiProperty({ format: 'date-time' }) lastSeen!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The reporting ISP' })
  lastReportedBy!: string | null;
}

export class CaseHistoryEntry {
  @ApiProperty({ enum: CASE_STATUSES, nullable: true }) fromStatus!: CaseStatus | null;
  @ApiProperty({ enum: CASE_STATUSES }) toStatus!: CaseStatus;
  @ApiProperty({ enum: ['user', 'api_client', 'system'] }) actorType!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) actorId!: string | null;
  @ApiProperty({ type: String, nullable: true }) reason!: string | null;
  @ApiProperty({ format: 'date-time' }) at!: string;
}

export class CaseDetail extends CaseResponse {
  @ApiProperty({
    type: [CaseConnection],
    description: `The ${DETAIL_CONNECTIONS} most recently seen connections`,
  })
  connections!: CaseConnection[];
  @ApiProperty({ description: 'More connections than listed: page them with /connections' })
  connectionsTruncated!: boolean;
  @ApiProperty({ type: [CaseHistoryEntry], description: 'Newest first (the latest 100)' })
  history!: CaseHistoryEntry[];
}

export class CasePage {
  @ApiProperty({ type: [CaseResponse] }) items!: CaseResponse[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

export class ConnectionPage {
  @ApiProperty({ type: [CaseConnection] }) items!: CaseConnection[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}
