import { Inject, Injectable } from '@nestjs/common';
import { PlatformConfig } from '#src/platform/config/index.js';
import { KeyEncryption } from '#src/platform/encryption/index.js';
import type { SubscriptionRow } from '#src/messaging/webhooks/webhooks.repository.js';

/**
 * Webhook signing secrets at rest: sealed with KEY_ENCRYPTION_KEY (AES-256-GCM), like the
 * token-signing keys. Only the key bytes are stored; the `whsec_` form is shown once.
 */
@Injectable()
export class WebhookSecrets {
  private readonly encryption: KeyEncryption;

  constructor(@Inject(PlatformConfig) config: PlatformConfig) {
    this.encryption = KeyEncryption.fromConfig(config).encryption;
  }

  seal(key: Buffer): Buffer {
    return this.encryption.seal(key);
  }

  /** The keys that sign a delivery at `now`: the current one, and the previous one in its overlap. */
  signingKeys(subscription: SubscriptionRow, now: Date): Buffer[] {
    const keys = [this.encryption.open(subscription.secretEncrypted)];
    if (
      subscription.previousSecretEncrypted &&
      subscription.previousSecretExpiresAt &&
      subscription.previousSecretExpiresAt.getTime() > now.getTime()
    ) {
      keys.push(this.encryption.open(subscription.previousSecretEncrypted));
    }
    return keys;
  }
}
