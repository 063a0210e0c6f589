import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig, resolverAddress } from '#agent/lib/config.js';
import { ApiClient, retryAfterMs } from '#agent/lib/client.js';
import { emptyState, loadState, recover, saveState } from '#agent/lib/state.js';
import {
  BACKOFF_CAP_MS,
  backoffMs,
  sha256,
  tempPath,
  writeFileAtomic,
  writeTemp,
} from '#agent/lib/util.js';
import { renderZone, EntrySet } from '#agent/lib/zone.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'agent-files-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const zoneText = (version: number, domains: string[]): string => {
  const set = new EntrySet();
  for (const d of domains) set.add('domain', d, 'nxdomain');
  return [
    ...renderZone(set, { version, origin: 'o.', versionName: 'v', redirectTarget: null }),
  ].join('');
};

describe('agent: atomic files (agent/lib/util.js)', () => {
  it('replaces a file whole and leaves no temporary file', async () => {
    const file = path.join(dir, 'out.txt');
    await writeFileAtomic(file, 'one\n');
    await writeFileAtomic(file, 'two\n');
    expect(readFileSync(file, 'utf8')).toBe('two\n');
    expect(readdirSync(dir)).toEqual(['out.txt']);
  });

  it('removes the temporary file when writing fails, the old file untouched', async () => {
    const file = path.join(dir, 'out.txt');
    await writeFileAtomic(file, 'old\n');
    function* failing(): Generator<string> {
      yield 'half';
      throw new Error('render failed');
    }
    await expect(writeTemp(file, failing())).rejects.toThrow('render failed');
    expect(readdirSync(dir)).toEqual(['out.txt']);
    expect(readFileSync(file, 'utf8')).toBe('old\n');
  });

  it('answers the SHA-256 of what it wrote', async () => {
    const file = path.join(dir, 'big.txt');
    const chunks = Array.from({ length: 5000 }, (_, i) => `line ${i}\n`);
    expect(await writeTemp(file, chunks)).toBe(sha256(chunks.join('')));
  });
});

describe('agent: two-phase state (agent/lib/state.js recover)', () => {
  const paths = () => ({
    zone: path.join(dir, 'z.rpz'),
    ips: path.join(dir, 'ips.txt'),
    state: path.join(dir, 'state.json'),
  });
  const deployment = (version: number, zone: string, ips: string) => ({
    version,
    after: version + 5,
    source: { format: 'changes' as const, sha256: 'a'.repeat(64) },
    hashes: { [paths().zone]: sha256(zone), [paths().ips]: sha256(ips) },
    at: '2026-01-01T00:00:00.000Z',
  });

  it('resumes from the committed zone: entries read back, no snapshot', async () => {
    const p = paths();
    const zone = zoneText(10, ['a.example', 'b.example']);
    writeFileSync(p.zone, zone);
    writeFileSync(p.ips, '');
    const state = { ...emptyState(), after: 15, deployed: deployment(10, zone, '') };
    const r = await recover(state, p.zone, [p.zone, p.ips]);
    expect(r.set?.size).toBe(2);
    expect(r.state.after).toBe(15);
    expect(r.rerender).toBe(false);
  });

  it('rolls a pending deployment forward when its temporary files are all there', async () => {
    const p = paths();
    const old = zoneText(10, ['a.example']);
    const next = zoneText(20, ['a.example', 'c.example']);
    writeFileSync(p.zone, old);
    writeFileSync(p.ips, '');
    // Crashed after `pending` was written: one output renamed, the other still temporary.
    writeFileSync(p.ips, '1.2.3.4\n');
    writeFileSync(tempPath(p.zone), next);
    const state = {
      ...emptyState(),
      after: 15,
      confirmed: 10,
      deployed: deployment(10, old, ''),
      pending: deployment(20, next, '1.2.3.4\n'),
    };
    const r = await recover(state, p.zone, [p.zone, p.ips]);
    expect(r.state.deployed?.version).toBe(20);
    expect(r.state.after).toBe(25);
    expect(r.state.pending).toBeNull();
    expect(r.set?.size).toBe(2);
    expect(readFileSync(p.zone, 'utf8')).toBe(next);
    expect(readdirSync(dir).sort()).toEqual(['ips.txt', 'z.rpz']);
    // deployed > confirmed: the start goes on with reload → proof → receipt.
    expect(r.state.confirmed).toBe(10);
  });

  it('forgets a pending deployment whose temporary files are gone, keeps the committed one', async () => {
    const p = paths();
    const old = zoneText(10, ['a.example']);
    writeFileSync(p.zone, old);
    writeFileSync(p.ips, '');
    const state = {
      ...emptyState(),
      after: 15,
      deployed: deployment(10, old, ''),
      pending: deployment(20, zoneText(20, ['x.example']), ''),
    };
    const r = await recover(state, p.zone, [p.zone, p.ips]);
    expect(r.state.deployed?.version).toBe(10);
    expect(r.state.pending).toBeNull();
    expect(r.set?.size).toBe(1);
  });

  it('starts from a snapshot when the zone is missing or changed', async () => {
    const p = paths();
    const zone = zoneText(10, ['a.example']);
    const state = { ...emptyState(), after: 10, deployed: deployment(10, zone, '') };
    expect((await recover(state, p.zone, [p.zone])).set).toBeNull();
    writeFileSync(p.zone, `${zone}extra.example CNAME .\n`);
    const r = await recover(state, p.zone, [p.zone]);
    expect(r.set).toBeNull();
    expect(r.reason).toBe('the zone file was changed');
    expect(r.state.after).toBeNull();
  });

  it('writes other outputs again when only they changed', async () => {
    const p = paths();
    const zone = zoneText(10, ['a.example']);
    writeFileSync(p.zone, zone);
    writeFileSync(p.ips, 'edited by hand\n');
    const state = { ...emptyState(), after: 10, deployed: deployment(10, zone, '') };
    const r = await recover(state, p.zone, [p.zone, p.ips]);
    expect(r.set?.size).toBe(1);
    expect(r.rerender).toBe(true);
  });

  it('saves and loads the state file', async () => {
    const p = paths();
    expect(await loadState(p.state)).toEqual(emptyState());
    await saveState(p.state, { ...emptyState(), after: 3 });
    expect((await loadState(p.state)).after).toBe(3);
    writeFileSync(p.state, '{"schema":9}');
    await expect(loadState(p.state)).rejects.toThrow('unknown state schema 9');
  });
});

describe('agent: options (agent/lib/config.js)', () => {
  const env = {
    THREAT_EXCHANGE_URL: 'https://exchange.example/',
    THREAT_EXCHANGE_CLIENT_ID: 'isp-1',
    THREAT_EXCHANGE_CLIENT_SECRET: 'from-env',
  };
  const base = ['--rpz-file', '/var/lib/bind/te.rpz'];

  it('takes the environment, flags winning, with defaults', () => {
    const config = loadConfig(
      [
        ...base,
        '--client-secret',
        'from-flag',
        '--resolver',
        '[::1]:5353',
        '--resolver',
        '127.0.0.1',
      ],
      env,
    );
    expect(config).toMatchObject({
      url: 'https://exchange.example',
      clientId: 'isp-1',
      clientSecret: 'from-flag',
      stateFile: '/var/lib/bind/te.rpz.state.json',
      waitSeconds: 30,
      pollIntervalMs: 30_000,
      proofTimeoutMs: 30_000,
      reloadTimeoutMs: 30_000,
      pageSize: 10000,
      resolvers: ['[::1]:5353', '127.0.0.1:53'],
      versionName: 'version.threat-exchange.internal',
      rpzOrigin: 'rpz.threat-exchange.',
      once: false,
    });
    expect(loadConfig(['--help'], {})).toBe('help');
  });

  it('reads the secret from a file', () => {
    const file = path.join(dir, 'secret');
    writeFileSync(file, 's3cret\n');
    const config = loadConfig([...base, '--client-secret-file', file], {
      ...env,
      THREAT_EXCHANGE_CLIENT_SECRET: '',
    });
    expect(config !== 'help' && config.clientSecret).toBe('s3cret');
  });

  it.each([
    [[], { ...env, THREAT_EXCHANGE_URL: '' }, '--url is required (or THREAT_EXCHANGE_URL)'],
    [[], env, '--rpz-file is required'],
    [[...base, '--wait', '61'], env, '--wait must be a whole number from 0 to 60'],
    [[...base, '--poll-interval', '0'], env, '--poll-interval must be a whole number from 1'],
    [[...base, '--page-size', '1.5'], env, '--page-size must be a whole number'],
    [
      [...base, '--health-port', '70000'],
      env,
      '--health-port must be a whole number from 1 to 65535',
    ],
    [[...base, '--nope'], env, "Unknown option '--nope'"],
    [[...base, '--resolver', 'dns.example:53'], env, '--resolver must be ADDRESS:PORT'],
    [[...base, '--version-name', 'v.example.'], env, 'no trailing dot'],
    [[...base, '--nft-table', 'bad-name'], env, '--nft-table must be letters'],
    [[...base, '--log-level', 'loud'], env, '--log-level must be'],
    [[...base], { ...env, THREAT_EXCHANGE_URL: 'ftp://x' }, '--url must be an http(s) URL'],
    [
      [...base],
      { ...env, THREAT_EXCHANGE_CLIENT_SECRET: '' },
      '--client-secret or --client-secret-file is required',
    ],
    [[...base, '--client-secret-file', '/nonexistent/secret'], env, 'cannot be read (ENOENT)'],
  ])('refuses %j', (argv, environment, message) => {
    expect(() => loadConfig(argv, environment)).toThrow(ConfigError);
    expect(() => loadConfig(argv, environment)).toThrow(message);
  });

  it('accepts resolver forms node:dns takes', () => {
    expect(resolverAddress('192.0.2.53:5300')).toBe('192.0.2.53:5300');
    expect(resolverAddress('2001:db8::53')).toBe('[2001:db8::53]:53');
    expect(() => resolverAddress('[::1]:0')).toThrow(ConfigError);
  });
});

describe('agent: backoff and Retry-After', () => {
  it('stays between 100 ms and min(60 s, 1 s × 2^attempt), full jitter', () => {
    expect(backoffMs(0, () => 0)).toBe(100);
    expect(backoffMs(0, () => 0.999)).toBeLessThan(1000);
    expect(backoffMs(3, () => 0.999)).toBeLessThan(8000);
    expect(backoffMs(3, () => 0.999)).toBeGreaterThan(7900);
    for (const attempt of [6, 10, 50, 1e6]) {
      expect(backoffMs(attempt, () => 0.999999)).toBeLessThan(BACKOFF_CAP_MS);
      expect(backoffMs(attempt, () => 0.999999)).toBeGreaterThan(BACKOFF_CAP_MS - 100);
    }
    for (let i = 0; i < 1000; i += 1) {
      const ms = backoffMs(i % 12);
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(ms).toBeLessThan(BACKOFF_CAP_MS);
    }
  });

  it('reads Retry-After in seconds or as a date, bounded', () => {
    expect(retryAfterMs('5')).toBe(5000);
    expect(retryAfterMs(null)).toBeNull();
    expect(retryAfterMs('soon')).toBeNull();
    expect(retryAfterMs('999999')).toBe(3_600_000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(retryAfterMs('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
  });
});

describe('agent: the access token (agent/lib/client.js)', () => {
  it('is renewed at 80 % of its life, and at once after a 401', async () => {
    let issued = 0;
    const calls: string[] = [];
    const fake = (async (url: string | URL, init?: RequestInit) => {
      const path = new URL(String(url)).pathname;
      const auth = new Headers(init?.headers).get('authorization') ?? '';
      calls.push(`${path} ${auth.split(' ')[0]}`);
      if (path === '/api/v1/auth/token') {
        issued += 1;
        return new Response(
          JSON.stringify({ access_token: `t${issued}`, token_type: 'Bearer', expires_in: 100 }),
          { status: 200, headers: { 'content-type': 'application/json' } },
        );
      }
      // The second token is refused once (revoked early): the client takes a third.
      if (auth === 'Bearer t2' && issued === 2) return new Response('{}', { status: 401 });
      return new Response(null, { status: 304 });
    }) as typeof fetch;
    const client = new ApiClient(
      { url: 'http://service.example', clientId: 'isp', clientSecret: 's' },
      fake,
    );
    const realNow = Date.now;
    let now = realNow();
    Date.now = () => now;
    try {
      expect(await client.accessToken()).toBe('t1');
      now += 79_000;
      expect(await client.accessToken()).toBe('t1');
      now += 2_000; // past 80 s of 100
      expect(await client.accessToken()).toBe('t2');
      const answer = await client.changes({ after: 0, limit: 10, wait: 0, etag: '"x"' });
      expect(answer.status).toBe(304);
      expect(issued).toBe(3);
    } finally {
      Date.now = realNow;
    }
  });
});
