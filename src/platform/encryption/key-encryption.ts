import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PlatformConfig } from '#src/platform/config/index.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM with the key from KEY_ENCRYPTION_KEY: how signing keys' private parts are kept
 * at rest. Layout of a sealed value: iv (12) | tag (16) | ciphertext.
 */
export class KeyEncryption {
  private constructor(private readonly key: Buffer) {}

  /**
   * KEY_ENCRYPTION_KEY (given, or read by the configuration from KEY_ENCRYPTION_KEY_FILE), or
   * (outside production, where it is required) the key in KEY_ENCRYPTION_KEY_FILE, generated
   * there once, so that development needs no set-up.
   */
  static fromConfig(
    config: Pick<PlatformConfig, 'KEY_ENCRYPTION_KEY' | 'KEY_ENCRYPTION_KEY_FILE' | 'NODE_ENV'>,
  ): { encryption: KeyEncryption; generatedFile?: string } {
    if (config.KEY_ENCRYPTION_KEY) {
      return { encryption: new KeyEncryption(Buffer.from(config.KEY_ENCRYPTION_KEY, 'base64')) };
    }
    if (config.NODE_ENV === 'production') {
      throw new Error(
        'KEY_ENCRYPTION_KEY (or KEY_ENCRYPTION_KEY_FILE) is required when NODE_ENV=production',
      );
    }
    const file = path.resolve(config.KEY_ENCRYPTION_KEY_FILE);
    if (existsSync(file)) {
      const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
      if (key.length !== 32) throw new Error(`${file} does not hold 32 bytes in base64`);
      return { encryption: new KeyEncryption(key) };
    }
    const key = randomBytes(32);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    return { encryption: new KeyEncryption(key), generatedFile: file };
  }

  static withKey(key: Buffer): KeyEncryption {
    if (key.length !== 32) throw new Error('the key-encryption key must be 32 bytes');
    return new KeyEncryption(key);
  }

  seal(plaintext: Buffer): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }

  open(sealed: Buffer): Buffer {
    const iv = sealed.subarray(0, IV_BYTES);
    const tag = sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([
      decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)),
      decipher.final(),
    ]);
  }
}
