import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IntegerParam } from '#src/platform/problem/index.js';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PageQuery } from '#src/platform/pagination/index.js';
import {
  MAX_SOURCE,
  MAX_TAGS,
  TAG_PATTERN,
} from '#src/publishing/indicators/indicator-attributes.js';
import { TLP_LEVELS, type Tlp } from '#src/feeds/index.js';
import {
  IMPORT_STATUSES,
  type ImportJobEntity,
} from '#src/publishing/imports/import-job.entity.js';

/** One tag as everywhere else (TAG_PATTERN), up to MAX_TAGS of them separated by ";". */
const TAG = TAG_PATTERN.source.replace(/^\^/, '').replace(/\$$/, '');
const TAG_LIST = new RegExp(`^${TAG}(?:;${TAG}){0,${MAX_TAGS - 1}}$`, 'u');

export class ImportOptions {
  @ApiPropertyOptional({
    enum: ['reject', 'skip'],
    default: 'reject',
    description:
      'reject: one bad row fails the whole import; skip: bad rows are reported, the others kept',
  })
  @IsOptional()
  @IsIn(['reject', 'skip'])
  mode?: 'reject' | 'skip';

  @ApiPropertyOptional({ enum: TLP_LEVELS, description: 'For rows that give none (default AMBER)' })
  @IsOptional()
  @IsIn(TLP_LEVELS)
  tlp?: Tlp;

  @ApiPropertyOptional({ description: 'For rows that give none' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_SOURCE)
  source?: string;

  @ApiPropertyOptional({
    description: 'Tags for rows that give none, separated by ";"',
    example: 'botnet;c2',
  })
  @IsOptional()
  @IsString()
  @Matches(TAG_LIST, {
    message: `tags must be up to ${MAX_TAGS} tags separated by ";", each 1–64 letters, digits, spaces or _.:/+-`,
  })
  tags?: string;

  @ApiPropertyOptional({ minimum: 0, maximum: 100, description: 'For rows that give none' })
  @IsOptional()
  @IntegerParam(0, 100)
  confidence?: number;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'For rows that give none; must be in the future',
  })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'validUntil must be an ISO 8601 date-time' })
  validUntil?: Date;
}

export class RejectedRowDto {
  @ApiProperty({ description: 'Line (text, CSV) or 1-based item index (JSON)' }) line!: number;
  @ApiProperty() value!: string;
  @ApiProperty() reason!: string;
}

export class ImportProgress {
  @ApiProperty() rowsRead!: number;
  @ApiProperty() bytesRead!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'Content-Length, when sent' })
  bytesExpected!: number | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Of the body read (0–100); null while reading a body of unknown length',
  })
  percent!: number | null;
}

export class ImportReport {
  @ApiProperty({ description: 'Indicators created' }) created!: number;
  @ApiProperty({ description: 'Valid rows whose indicator existed (or came earlier in the input)' })
  alreadyPresent!: number;
  @ApiProperty() rejected!: number;
  @ApiProperty({ type: [RejectedRowDto], description: 'The first 1,000 rejected rows' })
  rejectedRows!: RejectedRowDto[];
}

export class ImportJobResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({
    enum: IMPORT_STATUSES,
    description: 'receiving → merging → succeeded | failed',
  })
  status!: string;
  @ApiProperty({ enum: ['json', 'csv', 'text'] }) format!: string;
  @ApiProperty({ enum: ['reject', 'skip'] }) mode!: string;
  @ApiProperty({ type: ImportProgress }) progress!: ImportProgress;
  @ApiProperty({ type: ImportReport }) report!: ImportReport;
  @ApiProperty({ type: String, nullable: true, description: 'Why it failed' }) error!:
    string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finishedAt!: string | null;
}

export class ImportJobPage {
  @ApiProperty({ type: [ImportJobResponse] }) items!: ImportJobResponse[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

export class ImportListQuery extends PageQuery {}

export function toImportResponse(j: ImportJobEntity): ImportJobResponse {
  const bytesRead = Number(j.bytesRead);
  const expected = j.bytesExpected === null ? null : Number(j.bytesExpected);
  const done = j.status !== 'receiving';
  return {
    id: j.id,
    status: j.status,
    format: j.format,
    mode: j.mode,
    progress: {
      rowsRead: j.rowsRead,
      bytesRead,
      bytesExpected: expected,
      percent: done
        ? 100
        : expected
          ? Math.min(99, Math.floor((bytesRead / expected) * 100))
          : null,
    },
    report: {
      created: j.rowsCreated,
      alreadyPresent: j.rowsExisting,
      rejected: j.rowsRejected,
      rejectedRows: j.rejected,
    },
    error: j.error,
    createdAt: j.createdAt.toISOString(),
    finishedAt: j.finishedAt?.toISOString() ?? null,
  };
}
