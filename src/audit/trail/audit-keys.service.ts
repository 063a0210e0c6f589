import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditService } from '#src/audit/trail/audit.service.js';
import { auditKeyId, signDocument } from '#src/audit/trail/chain.js';
import { PlatformConfig } from '#src/platform/config/index.js';
import { KeyEncryption } from '#src/platform/encryption/index.js';

/** Arbitrary constant key of the advisory lock under which the first audit key is made. */
const AUDIT_KEY_LOCK = 7_340_213_007;

export interface AuditPublicKey {
  keyId: string;
  /** SubjectPublicKeyInfo PEM: what `audit-verify --public-key` reads. */
  pem: string;
  /** The same key as a JWK (OKP, Ed25519). */
  jwk: { kty: 'OKP'; crv: 'Ed25519'; x: string };
  createdAt: string;
  retiredAt: string | null;
}

interface ActiveKey {
  keyId: string;
  privateKey: KeyObject;
}

interface KeyRow {
  key_id: string;
  public_key: string;
  private_key_encrypted: Buffer;
  created_at: Date;
  retired_at: Date | null;
}

/**
 * The Ed25519 key that signs audit checkpoints and export manifests. Made at the first start
 * (under an advisory lock, so two instances make one), its private part sealed with
 * KEY_ENCRYPTION_KEY like the token-signing keys. Retired keys stay published: checkpoints and
 * exports they signed keep verifying.
 */
@Injectable()
export class AuditKeysService implements OnModuleInit {
  private readonly encryption: KeyEncryption;
  private active?: ActiveKey;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(PlatformConfig) config: PlatformConfig,
    private readonly audit: AuditService,
  ) {
    this.encryption = KeyEncryption.fromConfig(config).encryption;
  }

  async onModuleInit(): Promise<void> {
    this.active = await this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_KEY_LOCK]);
      const [row] = await manager.query<KeyRow[]>(
        `SELECT * FROM "audit_keys" WHERE "retired_at" IS NULL`,
      );
      if (row !== undefined) {
        return {
          keyId: row.key_id,
          privateKey: createPrivateKey({
            key: this.encryption.open(row.private_key_encrypted),
            format: 'der',
            type: 'pkcs8',
          }),
        };
      }
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      const keyId = auditKeyId(publicKey);
      await manager.query(
        `INSERT INTO "audit_keys" ("key_id", "public_key", "private_key_encrypted")
         VALUES ($1, $2, $3)`,
        [
          keyId,
          publicKey.export({ format: 'pem', type: 'spki' }),
          this.encryption.seal(privateKey.export({ format: 'der', type: 'pkcs8' })),
        ],
      );
      await this.audit.record(manager, {
        actor: 'system',
        action: 'audit_key.create',
        objectType: 'audit_key',
        objectId: keyId,
        summary: { alg: 'Ed25519' },
      });
      return { keyId, privateKey };
    });
  }

  /** The key that signs now. */
  signing(): ActiveKey {
    if (this.active === undefined) throw new Error('the audit key is not loaded yet');
    return this.active;
  }

  /** Signs a JSON document (an export manifest) over its canonical JSON. */
  sign(document: Record<string, unknown>): { keyId: string; signature: string } {
    const { keyId, privateKey } = this.signing();
    return { keyId, signature: signDocument(document, privateKey) };
  }

  /** Every audit key, the signing one first. */
  async publicKeys(): Promise<AuditPublicKey[]> {
    const rows = await this.dataSource.query<KeyRow[]>(
      `SELECT "key_id", "public_key", "created_at", "retired_at" FROM "audit_keys"
        ORDER BY "retired_at" DESC NULLS FIRST, "created_at" DESC`,
    );
    return rows.map((row) => {
      const key = createPublicKey(row.public_key);
      const { x } = key.export({ format: 'jwk' });
      return {
        keyId: row.key_id,
        pem: row.public_key,
        jwk: { kty: 'OKP', crv: 'Ed25519', x: x! },
        createdAt: row.created_at.toISOString(),
        retiredAt: row.retired_at?.toISOString() ?? null,
      };
    });
  }

  /** The public key that verifies `keyId`'s signatures, if it is one of ours. */
  async publicKey(keyId: string): Promise<KeyObject | undefined> {
    const [row] = await this.dataSource.query<Pick<KeyRow, 'public_key'>[]>(
      `SELECT "public_key" FROM "audit_keys" WHERE "key_id" = $1`,
      [keyId],
    );
    return row === undefined ? undefined : createPublicKey(row.public_key);
  }
}
