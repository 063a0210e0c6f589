import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  GENERATED_SECRET_FILES,
  generateSecretFiles,
  parseOwner,
} from '#src/platform/config/secret-files.js';

describe('generateSecretFiles', () => {
  const dirs: string[] = [];
  const newDir = (): string => {
    const dir = mkdtempSync(path.join(tmpdir(), 'threat-exchange-secrets-'));
    dirs.push(dir);
    return path.join(dir, 'secrets');
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const read = (dir: string, file: string): string => readFileSync(path.join(dir, file), 'utf8');
  const mode = (dir: string, file: string): number => statSync(path.join(dir, file)).mode & 0o777;

  it('writes a new key-encryption key, database password and admin password, one line each', () => {
    const dir = newDir();
    expect(generateSecretFiles(dir)).toEqual({ written: GENERATED_SECRET_FILES, kept: [] });
    const key = read(dir, 'key-encryption-key');
    expect(key).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
    expect(Buffer.from(key.trim(), 'base64')).toHaveLength(32);
    expect(read(dir, 'database-password')).toMatch(/^[A-Za-z0-9_-]{32}\n$/);
    expect(read(dir, 'admin-password')).toMatch(/^[A-Za-z0-9_-]{24}\n$/);
    // Only the database password is readable by the group (PostgreSQL's, in docker-compose.yml).
    expect(mode(dir, 'key-encryption-key')).toBe(0o600);
    expect(mode(dir, 'database-password')).toBe(0o640);
    expect(mode(dir, 'admin-password')).toBe(0o600);
    // Each run makes new secrets.
    const other = newDir();
    generateSecretFiles(other);
    expect(read(other, 'key-encryption-key')).not.toBe(key);
  });

  it('never changes a file that exists, and writes only the missing ones', () => {
    const dir = newDir();
    generateSecretFiles(dir);
    const before = GENERATED_SECRET_FILES.map((file) => read(dir, file));
    rmSync(path.join(dir, 'admin-password'));
    writeFileSync(path.join(dir, 'database-password'), 'chosen by the operator\n', { mode: 0o644 });
    expect(generateSecretFiles(dir)).toEqual({
      written: ['admin-password'],
      kept: ['key-encryption-key', 'database-password'],
    });
    expect(read(dir, 'key-encryption-key')).toBe(before[0]);
    expect(read(dir, 'database-password')).toBe('chosen by the operator\n');
    expect(read(dir, 'admin-password')).not.toBe(before[2]);
    expect(mode(dir, 'database-password')).toBe(0o640);
  });

  const asRoot = process.getuid?.() === 0 ? it : it.skip;
  asRoot('gives the files to the owner it is told (as root)', () => {
    const dir = newDir();
    generateSecretFiles(dir, { uid: 1000, gid: 999 });
    for (const file of GENERATED_SECRET_FILES) {
      const info = statSync(path.join(dir, file));
      expect([info.uid, info.gid]).toEqual([1000, 999]);
    }
  });

  it('parses --owner', () => {
    expect(parseOwner('1000:999')).toEqual({ uid: 1000, gid: 999 });
    expect(parseOwner('node:postgres')).toBeUndefined();
    expect(parseOwner('1000')).toBeUndefined();
  });
});
