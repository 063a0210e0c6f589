import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
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
      /KEY_ENCRYPTION_KEY \(or KEY_ENCRYPTION_KEY_FILE\) is required in production \(NODE_ENV is unset and DATABASE_URL is set/,
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
        /^Invalid configuration: KEY_ENCRYPTION_KEY \(or KEY_ENCRYPTION_KEY_FILE\) is required when NODE_ENV=production$/,
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
      /^Invalid configuration: PORT .*; RPZ_TTL .*; KEY_ENCRYPTION_KEY \(or KEY_ENCRYPTION_KEY_FILE\) is required .*; WEBHOOK_ALLOW_HTTP=true is refused .*$/,
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

  describe('secrets given in files (NAME_FILE)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'threat-exchange-config-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    let count = 0;
    /** A new file holding `text`, its path. */
    const file = (text: string): string => {
      const target = path.join(dir, `secret-${++count}`);
      writeFileSync(target, text, { mode: 0o600 });
      return target;
    };
    const key = Buffer.alloc(32, 9).toString('base64');
    const production = { NODE_ENV: 'production', DATABASE_URL: 'postgres://threat@db/te' };
    const failure = (env: NodeJS.ProcessEnv): string => {
      try {
        loadConfig(env);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
      throw new Error('loadConfig accepted the environment');
    };

    it('reads each secret from its file, trailing newlines removed', () => {
      const config = loadConfig({
        ...production,
        KEY_ENCRYPTION_KEY_FILE: file(`${key}\n`),
        ADMIN_PASSWORD_FILE: file(' admin password with spaces \r\n\n'),
        DATABASE_PASSWORD_FILE: file('db-password\n'),
      });
      expect(config.platform.KEY_ENCRYPTION_KEY).toBe(key);
      expect(config.identity.ADMIN_PASSWORD).toBe(' admin password with spaces ');
      expect(config.platform.DATABASE_URL).toBe('postgres://threat:db-password@db/te');
    });

    it('puts the database password into the URL so that the driver reads it back unchanged', () => {
      const password = 'p@ss:w/rd%?#[]& é\'"';
      const config = loadConfig({
        ...production,
        KEY_ENCRYPTION_KEY: key,
        DATABASE_PASSWORD_FILE: file(password),
      });
      const client = new pg.Client({ connectionString: config.platform.DATABASE_URL });
      expect(client.password).toBe(password);
      expect(client.user).toBe('threat');
      expect(client.host).toBe('db');
      expect(client.database).toBe('te');
      // DATABASE_PASSWORD itself works the same way.
      const direct = loadConfig({
        ...production,
        KEY_ENCRYPTION_KEY: key,
        DATABASE_PASSWORD: password,
      });
      expect(direct.platform.DATABASE_URL).toBe(config.platform.DATABASE_URL);
    });

    it.each(['KEY_ENCRYPTION_KEY', 'ADMIN_PASSWORD', 'DATABASE_PASSWORD'])(
      'refuses %s set together with its _FILE',
      (name) => {
        const values: Record<string, string> = {
          KEY_ENCRYPTION_KEY: key,
          ADMIN_PASSWORD: 'long enough password',
          DATABASE_PASSWORD: 'db-password',
        };
        const env = {
          ...production,
          KEY_ENCRYPTION_KEY: key,
          [name]: values[name],
          [`${name}_FILE`]: file(values[name]),
        };
        expect(failure(env)).toBe(
          `Invalid configuration: ${name} and ${name}_FILE are both set: give the value in one of them`,
        );
      },
    );

    it('names a file that cannot be read, or is empty', () => {
      const missing = path.join(dir, 'missing');
      const folder = path.join(dir, 'a-folder');
      mkdirSync(folder);
      expect(
        failure({ ...production, KEY_ENCRYPTION_KEY: key, ADMIN_PASSWORD_FILE: missing }),
      ).toBe(`Invalid configuration: ADMIN_PASSWORD_FILE: cannot read ${missing} (ENOENT)`);
      expect(
        failure({ ...production, KEY_ENCRYPTION_KEY: key, DATABASE_PASSWORD_FILE: folder }),
      ).toBe(`Invalid configuration: DATABASE_PASSWORD_FILE: cannot read ${folder} (EISDIR)`);
      const empty = file('\n');
      expect(failure({ ...production, KEY_ENCRYPTION_KEY: key, ADMIN_PASSWORD_FILE: empty })).toBe(
        `Invalid configuration: ADMIN_PASSWORD_FILE: ${empty} is empty`,
      );
    });

    it('requires the key file to exist in production, and lets development create it', () => {
      const missing = path.join(dir, 'no-key');
      // One line: the unreadable file, not also "KEY_ENCRYPTION_KEY is required".
      expect(failure({ ...production, KEY_ENCRYPTION_KEY_FILE: missing })).toBe(
        `Invalid configuration: KEY_ENCRYPTION_KEY_FILE: cannot read ${missing} (ENOENT)`,
      );
      const development = loadConfig({ NODE_ENV: 'development', KEY_ENCRYPTION_KEY_FILE: missing });
      expect(development.platform.KEY_ENCRYPTION_KEY).toBeUndefined();
      expect(development.platform.KEY_ENCRYPTION_KEY_FILE).toBe(missing);
      // In production the default path is never read: the key must be given.
      expect(failure(production)).toMatch(
        /KEY_ENCRYPTION_KEY \(or KEY_ENCRYPTION_KEY_FILE\) is required/,
      );
    });

    it('checks a value from a file like any other, without repeating the secret', () => {
      const message = failure({
        ...production,
        KEY_ENCRYPTION_KEY_FILE: file('not-a-key\n'),
        ADMIN_PASSWORD_FILE: file('short-pw\n'),
      });
      expect(message).toMatch(/KEY_ENCRYPTION_KEY must be 32 random bytes in base64/);
      expect(message).toMatch(/ADMIN_PASSWORD must be at least 12 characters/);
      expect(message).not.toContain('not-a-key');
      expect(message).not.toContain('short-pw');
    });

    it('refuses a database password without a URL, or with a URL that holds one', () => {
      expect(failure({ NODE_ENV: 'test', DATABASE_PASSWORD_FILE: file('pw') })).toBe(
        'Invalid configuration: DATABASE_PASSWORD (or DATABASE_PASSWORD_FILE) needs DATABASE_URL',
      );
      expect(
        failure({
          NODE_ENV: 'test',
          DATABASE_URL: 'postgres://u:old@db/te',
          DATABASE_PASSWORD: 'pw',
        }),
      ).toMatch(
        /DATABASE_URL holds a password and DATABASE_PASSWORD \(or DATABASE_PASSWORD_FILE\) is set/,
      );
      expect(
        failure({ NODE_ENV: 'test', DATABASE_URL: 'postgres://db/te', DATABASE_PASSWORD: 'pw' }),
      ).toMatch(/needs a user name in DATABASE_URL/);
    });
  });
});
