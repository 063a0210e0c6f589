import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** Rows per request (JSON or CSV). */
export const MAX_CONNECTION_ROWS = 50_000;
export const MAX_CONNECTION_COUNT = 1_000_000_000;
/** The CSV header of a connections body. */
export const CONNECTION_COLUMNS = ['time', 'address', 'c2', 'count'] as const;

/** One observed connection (documentation of the JSON form; the body is read and checked by the service). */
export class ConnectionRow {
  @ApiProperty({ format: 'date-time', example: '2026-11-20T08:00:00Z' })
  time!: string;

  @ApiProperty({ example: '113.160.12.37', description: 'The internal address (IPv4 or IPv6)' })
  address!: string;

  @ApiProperty({
    example: 'malware-c2.example.com',
    description: 'What it talked to: a domain, IP address, URL or any indicator value',
  })
  c2!: string;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_CONNECTION_COUNT, default: 1 })
  count?: number;
}

export class ReportConnectionsRequest {
  @ApiProperty({ type: [ConnectionRow], minItems: 1, maxItems: MAX_CONNECTION_ROWS })
  rows!: ConnectionRow[];
}

export class ConnectionsReported {
  @ApiProperty({ description: 'Rows received' })
  rows!: number;

  @ApiProperty({ description: 'Rows whose address is in a unit’s network' })
  matched!: number;

  @ApiProperty({ description: 'Rows whose address is in no unit’s network (not an error)' })
  unmatched!: number;

  @ApiProperty({ description: 'Units concerned' })
  units!: number;

  @ApiProperty({ description: 'Distinct internal addresses matched' })
  addresses!: number;
}
