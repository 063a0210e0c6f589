import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';

/** `?keyId=`: only the key a checkpoint or manifest names. */
export class AuditPublicKeyQuery {
  @ApiPropertyOptional({
    description: 'Only this key (a checkpoint’s `keyId`): an RFC 7638 thumbprint, base64url',
    example: 'pJ3ZtU3wU0k0bT6q1m2Xn8p9sZ4f2Vw3yR7cA1dE5gH',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{43}$/, { message: 'keyId must be a key id (43 base64url characters)' })
  keyId?: string;
}

export class AuditJwk {
  @ApiProperty({ enum: ['OKP'] })
  kty!: 'OKP';

  @ApiProperty({ enum: ['Ed25519'] })
  crv!: 'Ed25519';

  @ApiProperty({ description: 'The public key, base64url (RFC 8037)' })
  x!: string;
}

export class AuditPublicKeyResponse {
  @ApiProperty({
    example: 'pJ3ZtU3wU0k0bT6q1m2Xn8p9sZ4f2Vw3yR7cA1dE5gH',
    description: 'RFC 7638 thumbprint of the key: the `keyId` of the checkpoints it signs',
  })
  keyId!: string;

  @ApiProperty({ enum: ['Ed25519'] })
  alg!: 'Ed25519';

  @ApiProperty({
    example: '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA…\n-----END PUBLIC KEY-----\n',
    description: 'SubjectPublicKeyInfo PEM (what `audit-verify --public-key` reads)',
  })
  pem!: string;

  @ApiProperty({ type: AuditJwk, description: 'The same key as a JWK' })
  jwk!: AuditJwk;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'null for the key that signs now; retired keys stay listed',
  })
  retiredAt!: string | null;
}

export class AuditPublicKeysResponse {
  @ApiProperty({
    type: [AuditPublicKeyResponse],
    description: 'The signing key first, then retired keys (newest first)',
  })
  keys!: AuditPublicKeyResponse[];
}

export class CheckpointResponse {
  @ApiProperty({ example: '42', description: 'The row id (a string: a 64-bit integer)' })
  id!: string;

  @ApiProperty({ enum: [1], description: 'Format version (signed)' })
  v!: 1;

  @ApiProperty({ example: 1024, description: 'Events in the chain (signed)' })
  size!: number;

  @ApiProperty({
    example: '9f2c6a1e0d4b7c3f8a5e2d1c0b9a8f7e6d5c4b3a29180f7e6d5c4b3a2918f0e1',
    pattern: '^[0-9a-f]{64}$',
    description: 'hash(size), lowercase hex; 64 zeros for an empty chain (signed)',
  })
  head!: string;

  @ApiProperty({ format: 'date-time', description: 'When it was signed (signed)' })
  time!: string;

  @ApiProperty({ description: 'The audit key that signed it (`GET /api/v1/audit/public-key`)' })
  keyId!: string;

  @ApiProperty({
    description:
      'Ed25519 signature over the JCS (RFC 8785) of {v, size, head, time, keyId}, base64url',
  })
  sig!: string;

  @ApiProperty({
    enum: ['interval', 'export', 'verify'],
    description: 'Why it was made (not signed)',
  })
  reason!: 'interval' | 'export' | 'verify';

  @ApiProperty({
    description:
      'The same checkpoint as the `X-Audit-Checkpoint` header of feed responses carries it: base64url of the JCS of {v, size, head, time, keyId, sig}',
  })
  header!: string;
}

export class CheckpointPage {
  @ApiProperty({ type: [CheckpointResponse] })
  items!: CheckpointResponse[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}
