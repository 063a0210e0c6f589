import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class HealthResponse {
  @ApiProperty({ enum: ['ok'], example: 'ok' })
  status!: 'ok';

  @ApiPropertyOptional({
    description: 'State of each dependency checked',
    example: { database: 'up' },
    type: 'object',
    additionalProperties: { type: 'string', enum: ['up'] },
  })
  checks?: Record<string, 'up'>;
}
