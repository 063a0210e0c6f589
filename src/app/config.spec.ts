import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { CONFIG_KEYS, CONFIG_SECTIONS, loadConfig } from '#src/app/config.js';
import { ConfigError, configKeys } from '#src/platform/config/index.js';
import { PROJECT_ROOT } from '#src/platform/project/index.js';

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const { platform, identity, messaging, obligations } = loadConfig({});
    expect(platform.PORT).toBe(3000);
    expect(platform.HOST).toBe('127.0.0.1');
    expect(platform.DATABASE_URL).toBeUndefined();
    expect(platform.LOG_LEVEL).toBe('info');
    expect(platform.DB_MIGRATIONS_RUN).toBe(true);
    expect(platform.EMBEDDED_PG_DIR).toBe('./data/postgres');
    expect(identity.ACCESS_TOKEN_TTL_S).toBe(900);
    expect(identity.ADMIN_PASSWORD).toBeUndefined();
    expect(messaging.WEBHOOK_POLL_INTERVAL_MS).toBeUndefined();
    expect(obligations.ASSIGNMENT_SCHEDULER_INTERVAL_S).toBe(30);
  });

  it('converts numbers and booleans from strings', () => {
    const config = loadConfig({
      PORT: '8080',
      DB_MIGRATIONS_RUN: 'false',
      BODY_LIMIT_BYTES: '2048',
      RPZ_TTL: '60',
    });
    expect(config.platform.PORT).toBe(8080);
    expect(config.platform.DB_MIGRATIONS_RUN).toBe(false);
    expect(config.platform.BODY_LIMIT_BYTES).toBe(2048);
    expect(config.feeds.RPZ_TTL).toBe(60);
  });

  it('runs as production unless told otherwise, except on the embedded PostgreSQL', () => {
    expect(loadConfig({}).platform.NODE_ENV).toBe('development'); // embedded: a local trial
    const server = { DATABASE_URL: 'postgres://db/threat_exchange' };
    expect(() => loadConfig(server)).toThrow(
      /KEY_ENCRYPTION_KEY is required in production \(NODE_ENV is unset and DATABASE_URL is set/,
    );
    const key = { KEY_ENCRYPTION_KEY: `${'k'.repeat(43)}=` };
    expect(loadConfig({ ...server, ...key }).platform.NODE_ENV).toBe('production');
    expect(() => loadConfig({ ...server, ...key, WEBHOOK_ALLOW_HTTP: 'true' })).toThrow(
      /WEBHOOK_ALLOW_HTTP=true is refused/,
    );
    expect(loadConfig({ ...server, NODE_ENV: 'development' }).platform.NODE_ENV).toBe(
      'development',
    );
  });

  it('treats an empty DATABASE_URL as unset', () => {
    expect(loadConfig({ DATABASE_URL: '' }).platform.DATABASE_URL).toBeUndefined();
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
    ['ADMIN_EMAIL', 'nobody', /ADMIN_EMAIL must be an e-mail address/],
    ['WEBHOOK_TIMEOUT_MS', '5', /WEBHOOK_TIMEOUT_MS must be an integer between 100/],
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

    it('requires KEY_ENCRYPTION_KEY', () => {
      expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
        /^Invalid configuration: KEY_ENCRYPTION_KEY is required when NODE_ENV=production$/,
      );
    });

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
      expect(loadConfig({ ...relaxed, NODE_ENV: 'test' }).messaging.WEBHOOK_ALLOW_HTTP).toBe(true);
      expect(
        loadConfig({ ...relaxed, NODE_ENV: 'development' }).messaging.WEBHOOK_ALLOWED_PRIVATE_CIDRS,
      ).toBe('127.0.0.0/8');
      const config = loadConfig({ ...production, WEBHOOK_ALLOW_HTTP: 'false' });
      expect(config.messaging.WEBHOOK_ALLOW_HTTP).toBe(false);
    });
  });

  it('names every wrong variable at once, of every section', () => {
    expect(() => loadConfig({ PORT: 'x', LOG_LEVEL: 'y' })).toThrow(
      /PORT.*; LOG_LEVEL|LOG_LEVEL.*; PORT/,
    );
    expect(() =>
      loadConfig({ PORT: 'x', RPZ_TTL: '-1', NODE_ENV: 'production', WEBHOOK_ALLOW_HTTP: 'on' }),
    ).toThrow(
      /^Invalid configuration: PORT .*; RPZ_TTL .*; KEY_ENCRYPTION_KEY is required .*; WEBHOOK_ALLOW_HTTP=true is refused .*$/,
    );
  });

  it('gives each variable to one section only, those without a default included', () => {
    expect(CONFIG_KEYS).toHaveLength(new Set(CONFIG_KEYS).size);
    expect(configKeys(CONFIG_SECTIONS.platform)).toContain('DATABASE_URL');
    expect(configKeys(CONFIG_SECTIONS.messaging)).toContain('WEBHOOK_POLL_INTERVAL_MS');
  });

  it('is documented variable by variable in .env.example', () => {
    const example = readFileSync(path.join(PROJECT_ROOT, '.env.example'), 'utf8');
    const documented = [...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]);
    expect([...new Set(documented)].sort()).toEqual([...new Set(CONFIG_KEYS)].sort());
  });
});
