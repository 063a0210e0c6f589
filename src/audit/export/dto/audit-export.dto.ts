import { ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { AuditSearchQuery } from '#src/audit/search/dto/audit-search.dto.js';
import { Lowercase } from '#src/platform/problem/index.js';

/**
 * `GET /audit/exports`: which events (the period as in the search: `from` inclusive, `to`
 * exclusive), which organization or blocking request, and how the CSV is written.
 */
export class AuditExportQuery extends PickType(AuditSearchQuery, ['from', 'to'] as const) {
  @ApiPropertyOptional({
    format: 'uuid',
    description:
      'Events by or about this organization (an ISP): what its people and API clients did, and what was done to it, its users, API clients, assignments, feed receipts and webhook subscriptions, and the publication, withdrawal and completion of the requests addressed to it (docs/audit.md)',
  })
  @IsOptional()
  @Lowercase()
  @IsUUID()
  organizationId?: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description:
      "Events on this blocking request, its assignments (acknowledgements, confirmations, reminders, escalations), the feed receipts that confirmed them and the indicators it lists. (Not the events' `requestId`, which is an HTTP request's id.)",
  })
  @IsOptional()
  @Lowercase()
  @IsUUID()
  blockingRequestId?: string;

  @ApiPropertyOptional({
    enum: ['true', 'false'],
    default: 'false',
    description:
      'The whole trail: required when no other filter is given (an export of everything is never made by accident); not combined with filters',
  })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'all must be true or false' })
  all?: 'true' | 'false';

  @ApiPropertyOptional({
    enum: ['vi', 'en'],
    default: 'vi',
    description: "The language of events.csv's column titles",
  })
  @IsOptional()
  @IsIn(['vi', 'en'], { message: 'lang must be vi or en' })
  lang?: 'vi' | 'en';

  @ApiPropertyOptional({
    enum: ['true', 'false'],
    default: 'false',
    description:
      'Start events.csv with a UTF-8 byte order mark, so that Excel reads it as UTF-8 (as `bom` of GET /compliance.csv)',
  })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'bom must be true or false' })
  bom?: 'true' | 'false';
}
