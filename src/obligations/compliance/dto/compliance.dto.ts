import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import {
  PDF_LANGUAGES,
  type PdfLanguage,
} from '#src/obligations/compliance/compliance-pdf.labels.js';

/** Longest window one report may cover (days). */
export const MAX_SPAN_DAYS = 366;
/** The window when `from` is not given: this many days before `to`. */
export const DEFAULT_SPAN_DAYS = 30;

export class ComplianceQuery {
  @ApiPropertyOptional({
    format: 'date-time',
    example: '2026-11-01T00:00:00Z',
    description: `Start of the window (inclusive): requests published at or after it. ISO 8601 date or date-time (a date is midnight UTC). Default: \`to\` minus ${DEFAULT_SPAN_DAYS} days.`,
  })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  from?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    example: '2026-12-01T00:00:00Z',
    description: `End of the window (exclusive): requests published before it. Default: now. At most ${MAX_SPAN_DAYS} days after \`from\`.`,
  })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  to?: string;
}

export class ComplianceCsvQuery extends ComplianceQuery {
  @ApiPropertyOptional({
    enum: ['true', 'false'],
    default: 'false',
    description: 'Start the file with a UTF-8 byte order mark (so that Excel reads it as UTF-8)',
  })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'bom must be true or false' })
  bom?: 'true' | 'false';
}

/** `GET /compliance`: the window, and which representation (JSON unless asked for CSV). */
export class ComplianceReportQuery extends ComplianceCsvQuery {
  @ApiPropertyOptional({
    enum: ['json', 'csv'],
    description:
      'The representation: `csv` answers text/csv (as `GET /compliance.csv`). Without it, `Accept: text/csv` (preferred over application/json) does the same; otherwise JSON. `bom` applies to CSV only.',
  })
  @IsOptional()
  @IsIn(['json', 'csv'], { message: 'format must be json or csv' })
  format?: 'json' | 'csv';
}

/** `GET /compliance/report.pdf`: the window and the language. */
export class CompliancePdfQuery extends ComplianceQuery {
  @ApiPropertyOptional({
    enum: PDF_LANGUAGES,
    default: 'vi',
    description: 'The language of the document: Vietnamese (`vi`) or English (`en`)',
  })
  @IsOptional()
  @IsIn(PDF_LANGUAGES, { message: 'lang must be vi or en' })
  lang?: PdfLanguage;
}

export class ComplianceOrganization {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() shortCode!: string;
}

export class ComplianceRejection {
  @ApiProperty({ format: 'uuid' }) assignmentId!: string;
  @ApiProperty({ format: 'uuid' }) requestId!: string;
  @ApiProperty() documentNumber!: string;
  @ApiProperty({ type: String, nullable: true, description: 'The reason the ISP gave' })
  reason!: string | null;
  @ApiProperty({ format: 'date-time', description: 'When the rejection was stated' })
  at!: string;
}

export class ComplianceOverdue {
  @ApiProperty({ format: 'uuid' }) assignmentId!: string;
  @ApiProperty({ format: 'uuid' }) requestId!: string;
  @ApiProperty() documentNumber!: string;
  @ApiProperty({ format: 'date-time' }) deadlineAt!: string;
}

export class IspCompliance {
  @ApiProperty({ type: ComplianceOrganization }) organization!: ComplianceOrganization;
  @ApiProperty({ description: 'Assignments of the requests published in the window' })
  assignments!: number;
  @ApiProperty() applied!: number;
  @ApiProperty() partiallyApplied!: number;
  @ApiProperty() rejected!: number;
  @ApiProperty({ description: 'Pending or acknowledged' }) open!: number;
  @ApiProperty({ description: 'Open and past their deadline, at the time of the answer' })
  overdue!: number;
  @ApiProperty({
    type: [ComplianceOverdue],
    description:
      'The overdue assignments themselves (as many as `overdue`), earliest deadline first',
  })
  overdueAssignments!: ComplianceOverdue[];
  @ApiProperty({ description: 'The request was withdrawn before the ISP closed it' })
  withdrawn!: number;
  @ApiProperty({
    description:
      'Applied or partially applied now, and the first application (the earliest applied or partially_applied confirmation) was stated at or before the deadline; a rejection on time followed by a late application is not on time',
  })
  onTime!: number;
  @ApiProperty({
    type: Number,
    nullable: true,
    description:
      'onTime out of the assignments that are closed (applied, partially applied, rejected) or past their deadline, in percent to one decimal; null when there are none',
  })
  onTimePercent!: number | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    description:
      'Median of (applied_at − the request’s publication) over applied and partially applied assignments, in whole seconds (percentile_cont); applied_at is the one stated by the latest confirmation',
  })
  medianSecondsToApply!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'The same, 90th percentile' })
  p90SecondsToApply!: number | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Median of (acknowledged_at − publication) over acknowledged assignments',
  })
  medianSecondsToAcknowledge!: number | null;
  @ApiProperty({ type: [ComplianceRejection], description: 'Oldest first' })
  rejections!: ComplianceRejection[];
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastPullAt!: string | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'The highest feed version this ISP was given (any format); null: never pulled',
  })
  versionHeld!: number | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'The version of this ISP’s newest feed change; null: none yet',
  })
  currentVersion!: number | null;
  @ApiProperty({ description: 'How many of this ISP’s feed changes are above versionHeld' })
  versionLag!: number;
}

export class ComplianceReport {
  @ApiProperty({ format: 'date-time' }) from!: string;
  @ApiProperty({ format: 'date-time' }) to!: string;
  @ApiProperty({ format: 'date-time', description: 'The time overdue was computed at' })
  generatedAt!: string;
  @ApiProperty({ type: [IspCompliance], description: 'Every ISP, by short code' })
  isps!: IspCompliance[];
}
