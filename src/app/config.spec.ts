import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { CONFIG_KEYS, ConfigError, loadConfig } from '#src/platform/config/config.js';
import { PROJECT_ROOT } from '#src/platform/project.js';

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(3000);
    expect(config.HOST).toBe('127.0.0.1');
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.DB_MIGRATIONS_RUN).toBe(true);
    expect(config.EMBEDDED_PG_DIR).toBe('./data/postgres');
  });

  it('converts numbers and booleans from strings', () => {
    const config = loadConfig({
      PORT: '8080',
      DB_MIGRATIONS_RUN: 'false',
      BODY_LIMIT_BYTES: '2048',
    });
    expect(config.PORT).toBe(8080);
    expect(config.DB_MIGRATIONS_RUN).toBe(false);
    expect(config.BODY_LIMIT_BYTES).toBe(2048);
  });

  it('treats an empty DATABASE_URL as unset', () => {
    expect(loadConfig({ DATABASE_URL: '' }).DATABASE_URL).toBeUndefined();
  });

  it.each([
    [
      'PORT',
      'abc',
      /^Invalid configuration: PORT must be an integer between 0 and 65535 \(got "abc"\)$/,
    ],
    ['PORT', '70000', /PORT must be an integer between 0 and 65535/],
    [
      'DATABASE_URL',
      'mysql://x',
      /DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ connection URL/,
    ],
    [
      'LOG_LEVEL',
      'loud',
      /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/,
    ],
    ['DB_MIGRATIONS_RUN', 'maybe', /DB_MIGRATIONS_RUN must be true or false/],
    ['BODY_LIMIT_BYTES', '10', /BODY_LIMIT_BYTES must be an integer between 1024/],
  ])('rejects %s=%s with one line naming it', (key, value, message) => {
    const run = (): unknown => loadConfig({ [key]: value });
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(message);
    try {
      run();
    } catch (error) {
      expect((error as Error).message).not.toContain('\n');
    }
  });

  describe('under NODE_ENV=production', () => {
    const production = { NODE_ENV: 'production', KEY_ENCRYPTION_KEY: `${'k'.repeat(43)}=` };

    it('refuses WEBHOOK_ALLOW_HTTP=true with a clear startup error', () => {
      expect(() => loadConfig({ ...production, WEBHOOK_ALLOW_HTTP: 'true' })).toThrow(
        /WEBHOOK_ALLOW_HTTP=true is refused when NODE_ENV=production/,
      );
    });

    it('refuses a non-empty WEBHOOK_ALLOWED_PRIVATE_CIDRS', () => {
      expect(() =>
        loadConfig({ ...production, WEBHOOK_ALLOWED_PRIVATE_CIDRS: '127.0.0.0/8' }),
      ).toThrow(/WEBHOOK_ALLOWED_PRIVATE_CIDRS must be empty when NODE_ENV=production/);
    });

    it('accepts both outside production, and their defaults in production', () => {
      const relaxed = { WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_PRIVATE_CIDRS: '127.0.0.0/8' };
      expect(loadConfig({ ...relaxed, NODE_ENV: 'test' }).WEBHOOK_ALLOW_HTTP).toBe(true);
      expect(
        loadConfig({ ...relaxed, NODE_ENV: 'development' }).WEBHOOK_ALLOWED_PRIVATE_CIDRS,
      ).toBe('127.0.0.0/8');
      const config = loadConfig({ ...production, WEBHOOK_ALLOW_HTTP: 'false' });
      expect(config.WEBHOOK_ALLOW_HTTP).toBe(false);
    });
  });

  it('names every wrong variable at once', () => {
    expect(() => loadConfig({ PORT: 'x', LOG_LEVEL: 'y' })).toThrow(
      /PORT.*; LOG_LEVEL|LOG_LEVEL.*; PORT/,
    );
  });

  it('is documented variable by variable in .env.example', () => {
    const example = readFileSync(path.join(PROJECT_ROOT, '.env.example'), 'utf8');
    const documented = [...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]);
    expect([...new Set(documented)].sort()).toEqual([...new Set(CONFIG_KEYS)].sort());
  });
});
