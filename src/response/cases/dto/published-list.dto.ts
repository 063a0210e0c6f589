import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { LIST_LANGUAGES, type ListLanguage } from '#src/response/cases/published-list.labels.js';

export const LIST_FORMATS = ['json', 'csv', 'pdf'] as const;
export type ListFormat = (typeof LIST_FORMATS)[number];
/** Rows of the published list at most (all active cases up to this). */
export const MAX_LIST_ROWS = 5000;

export class PublishedListQuery {
  @ApiPropertyOptional({ enum: LIST_FORMATS, default: 'json' })
  @IsOptional()
  @IsIn(LIST_FORMATS, { message: 'format must be json, csv or pdf' })
  format?: ListFormat;

  @ApiPropertyOptional({
    enum: LIST_LANGUAGES,
    default: 'vi',
    description: 'The language of the PDF and of the CSV header and statuses',
  })
  @IsOptional()
  @IsIn(LIST_LANGUAGES, { message: 'lang must be vi or en' })
  lang?: ListLanguage;

  @ApiPropertyOptional({
    enum: ['true', 'false'],
    description: 'CSV only: a byte order mark first, for Excel',
  })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'bom must be true or false' })
  bom?: 'true' | 'false';
}

const STATUSES = ['open', 'acknowledged', 'remediated'];

export class PublicListItem {
  @ApiProperty({ example: 'UBND xã Tân Phú' }) unitName!: string;
  @ApiProperty({ description: 'Distinct internal addresses of the open case' })
  infectedAddresses!: number;
  @ApiProperty({
    format: 'date-time',
    description: 'When the case’s first connection was seen (first_seen)',
  })
  since!: string;
  @ApiProperty({ enum: STATUSES }) status!: string;
}

export class PublishedListItem extends PublicListItem {
  @ApiProperty({ format: 'uuid' }) unitId!: string;
  @ApiProperty() unitShortCode!: string;
  @ApiProperty({ format: 'uuid' }) caseId!: string;
  @ApiProperty({ description: 'Distinct C2s' }) c2Count!: number;
  @ApiProperty({ format: 'date-time' }) lastSeen!: string;
  @ApiProperty({ format: 'date-time' }) deadlineAt!: string;
}

export class PublicList {
  @ApiProperty({ format: 'date-time' }) generatedAt!: string;
  @ApiProperty({ type: [PublicListItem], description: 'Most infected addresses first' })
  items!: PublicListItem[];
  @ApiProperty({ description: 'Units listed' }) total!: number;
  @ApiProperty({ description: `More than ${MAX_LIST_ROWS} units: only the first are listed` })
  truncated!: boolean;
}

export class PublishedList {
  @ApiProperty({ format: 'date-time' }) generatedAt!: string;
  @ApiProperty({ type: [PublishedListItem], description: 'Most infected addresses first' })
  items!: PublishedListItem[];
  @ApiProperty({ description: 'Units listed' }) total!: number;
  @ApiProperty({ description: `More than ${MAX_LIST_ROWS} units: only the first are listed` })
  truncated!: boolean;
}
