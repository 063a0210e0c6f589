import { ApiProperty } from '@nestjs/swagger';

export class KeyResponse {
  @ApiProperty({ example: '5f0c1d0e-2b7c-4e55-9a55-3a9f8f0a2c11' })
  kid!: string;

  @ApiProperty({ enum: ['ES256'] })
  alg!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({
    enum: ['active', 'verifying', 'retired'],
    description:
      'active: signs new tokens; verifying: superseded, still accepted; retired: refused',
  })
  status!: string;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  supersededAt!: string | null;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  verifyUntil!: string | null;
}

export class JwksResponse {
  @ApiProperty({
    description: 'Public keys (RFC 7517) that may verify current access tokens',
    type: 'array',
    items: { type: 'object', additionalProperties: true },
  })
  keys!: Record<string, unknown>[];
}
