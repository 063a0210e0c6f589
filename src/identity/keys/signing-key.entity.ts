import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * A token-signing key pair (ES256). One is active (signs); earlier ones keep verifying until
 * `verify_until` (the last token they signed has expired), then drop out of the JWKS.
 */
@Entity({ name: 'signing_keys' })
export class SigningKeyEntity {
  @PrimaryColumn({ type: 'text' })
  kid!: string;

  @Column({ type: 'text' })
  alg!: 'ES256';

  /** Public key as a JWK (what /.well-known/jwks.json publishes). */
  @Column({ name: 'public_jwk', type: 'jsonb' })
  publicJwk!: Record<string, unknown>;

  /** PKCS#8 private key, AES-256-GCM encrypted with KEY_ENCRYPTION_KEY: iv | tag | ciphertext. */
  @Column({ name: 'private_key_encrypted', type: 'bytea' })
  privateKeyEncrypted!: Buffer;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** Set when a newer key replaced this one: no new tokens are signed with it. */
  @Column({ name: 'superseded_at', type: 'timestamptz', nullable: true })
  supersededAt!: Date | null;

  /** After this, tokens with this `kid` are refused and the key leaves the JWKS. */
  @Column({ name: 'verify_until', type: 'timestamptz', nullable: true })
  verifyUntil!: Date | null;
}
