import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { KeyEncryption } from '#src/platform/encryption/key-encryption.js';

describe('KeyEncryption', () => {
  const enc = KeyEncryption.withKey(randomBytes(32));

  it('round-trips and never repeats a ciphertext', () => {
    const secret = Buffer.from('-----BEGIN PRIVATE KEY-----');
    const a = enc.seal(secret);
    const b = enc.seal(secret);
    expect(a.equals(b)).toBe(false);
    expect(a.includes(secret)).toBe(false);
    expect(enc.open(a).equals(secret)).toBe(true);
  });

  it('refuses a tampered value and a wrong key', () => {
    const sealed = enc.seal(Buffer.from('private'));
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1] ^= 1;
    expect(() => enc.open(tampered)).toThrow();
    expect(() => KeyEncryption.withKey(randomBytes(32)).open(sealed)).toThrow();
  });

  it('is required in production', () => {
    expect(() =>
      KeyEncryption.fromConfig({ NODE_ENV: 'production', KEY_ENCRYPTION_KEY_FILE: '/nonexistent' }),
    ).toThrow(/required when NODE_ENV=production/);
  });
});
