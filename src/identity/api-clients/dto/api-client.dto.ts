import { ApiProperty } from '@nestjs/swagger';
import { IsString, IsUUID, MaxLength, MinLength } from 'class-validator';
import type { ApiClientEntity } from '#src/identity/api-clients/api-client.entity.js';

export class CreateApiClientRequest {
  @ApiProperty({ format: 'uuid', description: 'The ISP the client belongs to' })
  @IsUUID()
  organizationId!: string;

  @ApiProperty({ example: 'RPZ feed puller, Hà Nội POP' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;
}

export class ApiClientResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ format: 'uuid' })
  organizationId!: string;
  @ApiProperty({ example: 'isp-vnpt-th-3f9a1c2b', description: 'The OAuth 2.0 client_id' })
  clientId!: string;
  @ApiProperty()
  name!: string;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
  @ApiProperty({ format: 'date-time' })
  secretRotatedAt!: string;
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  revokedAt!: string | null;
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  lastUsedAt!: string | null;
}

export class ApiClientWithSecretResponse extends ApiClientResponse {
  @ApiProperty({ description: 'The client_secret: shown this once, stored only as a hash' })
  clientSecret!: string;
}

export class ApiClientPage {
  @ApiProperty({ type: [ApiClientResponse] })
  items!: ApiClientResponse[];
  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}

export function toApiClientResponse(c: ApiClientEntity): ApiClientResponse {
  return {
    id: c.id,
    organizationId: c.organizationId,
    clientId: c.clientId,
    name: c.name,
    createdAt: c.createdAt.toISOString(),
    secretRotatedAt: c.secretRotatedAt.toISOString(),
    revokedAt: c.revokedAt?.toISOString() ?? null,
    lastUsedAt: c.lastUsedAt?.toISOString() ?? null,
  };
}
