import { AuditLog } from '#src/platform/audit-log/index.js';
import type { Principal } from '#src/identity/auth/principal.js';
import { randomUUID } from 'node:crypto';
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { IdentityConfig } from '#src/identity/identity.config.js';
import { PlatformConfig } from '#src/platform/config/index.js';
import { KeyEncryption } from '#src/platform/encryption/index.js';
import { KeysRepository } from '#src/identity/keys/keys.repository.js';
import type { SigningKeyEntity } from '#src/identity/keys/signing-key.entity.js';
import { Clock, monotonicMs } from '#src/platform/clock/index.js';

export const SIGNING_ALG = 'ES256';

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
}

export interface KeySummary {
  kid: string;
  alg: string;
  createdAt: string;
  status: 'active' | 'verifying' | 'retired';
  supersededAt: string | null;
  verifyUntil: string | null;
}

interface CachedKey {
  publicPem: string;
  verifyUntil: Date | null;
}

/** How often verification keys are re-read, so that other instances' rotations are seen. */
const REFRESH_MS = 60_000;

/**
 * Token-signing keys (ES256): one active key signs; superseded keys keep verifying until the
 * last token they signed has expired (`verify_until`), then leave the JWKS. Private keys are
 * stored encrypted with KEY_ENCRYPTION_KEY.
 */
@Injectable()
export class KeysService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(KeysService.name);
  private readonly encryption: KeyEncryption;
  private signing?: SigningKey;
  private verifying = new Map<string, CachedKey>();
  private loadedAt = Number.NEGATIVE_INFINITY;
  private refresher: NodeJS.Timeout | undefined;

  constructor(
    private readonly keys: KeysRepository,
    @Inject(IdentityConfig) private readonly config: IdentityConfig,
    @Inject(PlatformConfig) platform: PlatformConfig,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {
    const { encryption, generatedFile } = KeyEncryption.fromConfig(platform);
    this.encryption = encryption;
    if (generatedFile) {
      this.logger.warn(
        `KEY_ENCRYPTION_KEY is not set: generated a development key in ${generatedFile}. ` +
          'Set KEY_ENCRYPTION_KEY in production.',
      );
    }
  }

  async onModuleInit(): Promise<void> {
    await this.keys.withActiveKeyLocked(async (active, manager) => {
      if (active) return;
      const key = this.newKey();
      await this.keys.insert(manager, key);
      await this.audit.record(manager, {
        actor: 'system',
        action: 'signing_key.create',
        objectType: 'signing_key',
        objectId: key.kid,
        summary: { alg: key.alg, reason: 'no active key at start' },
      });
    });
    await this.reload();
    // Re-read in the background, so that verifying a token never waits for the database.
    this.refresher = setInterval(() => {
      this.reload().catch(() => undefined); // the database may be down; the request path retries
    }, REFRESH_MS / 2);
    this.refresher.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.refresher);
  }

  /** The key new tokens are signed with. */
  async signingKey(): Promise<SigningKey> {
    if (!this.signing || monotonicMs() - this.loadedAt > REFRESH_MS) await this.reload();
    if (!this.signing) throw new Error('no active signing key');
    return this.signing;
  }

  /**
   * The public key (PEM) for a `kid`, or undefined when unknown or past `verify_until`. An
   * unknown kid triggers one re-read (another instance may have rotated); so do keys older
   * than REFRESH_MS, which the background re-read every REFRESH_MS / 2 normally prevents.
   */
  async verificationKey(kid: string): Promise<string | undefined> {
    if (monotonicMs() - this.loadedAt > REFRESH_MS || !this.verifying.has(kid)) {
      if (monotonicMs() - this.loadedAt > 1000) await this.reload();
    }
    const key = this.verifying.get(kid);
    if (!key || (key.verifyUntil && key.verifyUntil.getTime() <= this.clock.now().getTime()))
      return undefined;
    return key.publicPem;
  }

  /**
   * Whether `kid` still verifies, from memory only (the background re-read keeps it current):
   * for tokens already verified once, whose key may since have been retired.
   */
  stillVerifies(kid: string): boolean {
    const key = this.verifying.get(kid);
    if (!key || monotonicMs() - this.loadedAt > REFRESH_MS) return false;
    return !key.verifyUntil || key.verifyUntil.getTime() > this.clock.now().getTime();
  }

  /** The JSON Web Key Set of every key that may still verify a token (RFC 7517 §5). */
  async jwks(): Promise<{ keys: Record<string, unknown>[] }> {
    const keys = await this.keys.listVerifiable(this.clock.now());
    return { keys: keys.map((k) => ({ ...k.publicJwk, kid: k.kid, alg: k.alg, use: 'sig' })) };
  }

  async list(): Promise<KeySummary[]> {
    const now = this.clock.now().getTime();
    return (await this.keys.listAll()).map((k) => summary(k, now));
  }

  /**
   * Makes a new active key. The previous one stops signing now and keeps verifying for one
   * access-token lifetime plus the clock tolerance and the re-read interval.
   */
  async rotate(caller?: Principal): Promise<KeySummary> {
    const now = this.clock.now();
    const created = await this.keys.withActiveKeyLocked(async (active, manager) => {
      if (active) {
        // Other instances may sign with it until they re-read the keys (REFRESH_MS).
        const grace =
          (this.config.ACCESS_TOKEN_TTL_S + this.config.JWT_CLOCK_TOLERANCE_S) * 1000 + REFRESH_MS;
        await this.keys.supersede(manager, active.kid, now, new Date(now.getTime() + grace));
      }
      const key = this.newKey();
      await this.keys.insert(manager, key);
      await this.audit.record(manager, {
        actor: caller ?? 'system',
        action: 'signing_key.rotate',
        objectType: 'signing_key',
        objectId: key.kid,
        summary: { alg: key.alg, superseded: active?.kid ?? null },
      });
      return key;
    });
    await this.reload();
    this.logger.log(`signing key rotated: new kid ${created.kid}`);
    return summary({ ...created, createdAt: now }, now.getTime());
  }

  private newKey(): Omit<SigningKeyEntity, 'createdAt'> {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return {
      kid: randomUUID(),
      alg: SIGNING_ALG,
      publicJwk: publicKey.export({ format: 'jwk' }),
      privateKeyEncrypted: this.encryption.seal(
        privateKey.export({ format: 'der', type: 'pkcs8' }),
      ),
      supersededAt: null,
      verifyUntil: null,
    };
  }

  /** Re-reads the keys now (they are also re-read every minute, and on an unknown kid). */
  async reload(): Promise<void> {
    const keys = await this.keys.listVerifiable(this.clock.now());
    const verifying = new Map<string, CachedKey>();
    for (const k of keys) {
      const pem = createPublicKey({ key: k.publicJwk, format: 'jwk' }).export({
        format: 'pem',
        type: 'spki',
      });
      verifying.set(k.kid, { publicPem: String(pem), verifyUntil: k.verifyUntil });
    }
    const active = keys.find((k) => k.supersededAt === null);
    this.signing = active
      ? {
          kid: active.kid,
          privateKey: createPrivateKey({
            key: this.encryption.open(active.privateKeyEncrypted),
            format: 'der',
            type: 'pkcs8',
          }),
        }
      : undefined;
    this.verifying = verifying;
    this.loadedAt = monotonicMs();
  }
}

function summary(k: SigningKeyEntity, now: number): KeySummary {
  const status =
    k.supersededAt === null
      ? 'active'
      : k.verifyUntil && k.verifyUntil.getTime() <= now
        ? 'retired'
        : 'verifying';
  return {
    kid: k.kid,
    alg: k.alg,
    createdAt: k.createdAt.toISOString(),
    status,
    supersededAt: k.supersededAt?.toISOString() ?? null,
    verifyUntil: k.verifyUntil?.toISOString() ?? null,
  };
}
