import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import ipaddr from 'ipaddr.js';
import { canonicalize, type IndicatorType } from '#src/publishing/indicators/canonical.js';
import {
  BUILTIN_ENTRIES,
  BUILTIN_LIST_ID,
  BUILTIN_LIST_NAME,
  builtinProtectedEntries,
} from '#src/publishing/protected-lists/builtin.js';
import {
  MAX_MATCHES_PER_VALUE,
  normalizeProtectedEntry,
  ProtectedMatcher,
  type ProtectedEntryInput,
  type ProtectedEntryKind,
  type ProtectedMatch,
} from '#src/publishing/protected-lists/matcher.js';
import {
  mispEntriesFor,
  parseMispWarninglist,
} from '#src/publishing/protected-lists/misp-warninglist.js';
import { describeWithShared, MISP_LISTS_DIR } from '#test/support/shared-data.js';

let nextId = 0;
const entry = (
  kind: ProtectedEntryKind,
  value: string,
  listId = 'l1',
  listName = 'List one',
): ProtectedEntryInput => ({ id: `e${++nextId}`, listId, listName, kind, value });

const build = (...entries: ProtectedEntryInput[]): ProtectedMatcher =>
  ProtectedMatcher.build(entries);

/** The canonical value of `raw`, failing the test when it is refused. */
function canon(type: IndicatorType, raw: string): string {
  const c = canonicalize(type, raw);
  if (!c.ok) throw new Error(`${type} ${raw}: ${c.reason}`);
  return c.value;
}

const entries = (matches: ProtectedMatch[]): string[] => matches.map((m) => m.entry);
const reasons = (matches: ProtectedMatch[]): string[] => matches.map((m) => m.reason);

describe('normalizeProtectedEntry', () => {
  it.each([
    ['GOV.VN.', 'gov.vn'],
    ['vn', 'vn'],
    ['localhost', 'localhost'],
    ['*.Example.com', 'example.com'],
    ['.google.ad', 'google.ad'],
    ['bücher.de', 'xn--bcher-kva.de'],
    ['10.in-addr.arpa', '10.in-addr.arpa'],
  ])('hostname %j → %j', (raw, value) => {
    expect(normalizeProtectedEntry('hostname', raw)).toEqual({ ok: true, value });
  });

  it.each([
    ['', /empty/],
    ['.', /empty/],
    ['192.0.2.1', /IP address is not a hostname/],
    ['a b.com', /cannot contain/],
    ['http://x.com', /cannot contain/],
    ['a..b.com', /empty label|not a valid/],
    ['-bad.example.com', /not a valid DNS label/],
    [`${'a'.repeat(64)}.com`, /63 characters/],
  ])('hostname %j is refused', (raw, reason) => {
    const result = normalizeProtectedEntry('hostname', raw);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it.each([
    ['1.2.3.4', '1.2.3.4/32'],
    [' 2001:DB8::1 ', '2001:db8::1/128'],
    ['2001:0DB8::/32', '2001:db8::/32'],
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['FE80::/10', 'fe80::/10'],
  ])('cidr %j → %j', (raw, value) => {
    expect(normalizeProtectedEntry('cidr', raw)).toEqual({ ok: true, value });
  });

  it('refuses a network with host bits set and suggests the aligned one', () => {
    expect(normalizeProtectedEntry('cidr', '10.1.2.3/8')).toEqual({
      ok: false,
      reason: 'host bits are set: the network is not aligned',
      suggestion: '10.0.0.0/8',
    });
    expect(normalizeProtectedEntry('cidr', '10.1.2.3/8', { alignHostBits: true })).toEqual({
      ok: true,
      value: '10.0.0.0/8',
      note: 'host bits were set: 10.1.2.3/8 aligned to 10.0.0.0/8',
    });
  });

  it.each(['example.com', '010.0.0.1', '1.2.3.4/33', '2001:db8::/129', '1.2.3.4/x', ''])(
    'cidr %j is refused',
    (raw) => {
      expect(normalizeProtectedEntry('cidr', raw).ok).toBe(false);
    },
  );

  it('keeps strings as they are, trimmed', () => {
    expect(normalizeProtectedEntry('string', '  Some Value ')).toEqual({
      ok: true,
      value: 'Some Value',
    });
    expect(normalizeProtectedEntry('string', '  ').ok).toBe(false);
    expect(normalizeProtectedEntry('string', 'x'.repeat(5000)).ok).toBe(false);
  });
});

describe('ProtectedMatcher: hostnames', () => {
  const m = build(entry('hostname', 'gov.vn'), entry('hostname', 'io'));

  it('protects the name and every name under it', () => {
    expect(reasons(m.match('domain', 'gov.vn'))).toEqual(['equals protected hostname gov.vn']);
    expect(reasons(m.match('domain', 'thanhhoa.gov.vn'))).toEqual([
      'under protected hostname gov.vn',
    ]);
    expect(reasons(m.match('domain', 'a.b.gov.vn'))).toEqual(['under protected hostname gov.vn']);
  });

  it('respects label boundaries', () => {
    expect(m.match('domain', 'evilgov.vn')).toEqual([]);
    expect(m.match('domain', 'gov.vn.evil.com')).toEqual([]);
    expect(m.match('domain', 'xgov.vn')).toEqual([]);
    expect(m.match('domain', 'ov.vn')).toEqual([]);
  });

  it('finds protected names under a blocked domain (its subdomains are blocked with it)', () => {
    const nested = build(
      entry('hostname', 'mail.school.edu.vn'),
      entry('hostname', 'portal.school.edu.vn'),
      entry('hostname', 'school-x.edu.vn'),
      entry('hostname', 'schoolmail.edu.vn'),
    );
    expect(reasons(nested.match('domain', 'school.edu.vn'))).toEqual([
      'protected hostname mail.school.edu.vn is under it',
      'protected hostname portal.school.edu.vn is under it',
    ]);
    expect(nested.match('domain', 'other.edu.vn')).toEqual([]);
    expect(nested.match('domain', 'chool.edu.vn')).toEqual([]);
    // A URL is blocked alone, not with its subdomains.
    expect(nested.match('url', 'http://school.edu.vn/login')).toEqual([]);
    // The name itself first, then what is under it.
    const both = build(entry('hostname', 'a.example.org'), entry('hostname', 'x.a.example.org'));
    expect(reasons(both.match('domain', 'a.example.org'))).toEqual([
      'equals protected hostname a.example.org',
      'protected hostname x.a.example.org is under it',
    ]);
  });

  it('accepts a bare TLD as an entry', () => {
    expect(entries(m.match('domain', 'anything.io'))).toEqual(['io']);
    expect(m.match('domain', 'io.com')).toEqual([]);
  });

  it('ignores case and a trailing dot, in the entry and in the value', () => {
    const mixed = build(entry('hostname', 'Example.COM.'));
    expect(entries(mixed.match('domain', 'www.example.com'))).toEqual(['Example.COM.']);
    expect(entries(mixed.match('domain', 'WWW.Example.Com.'))).toHaveLength(1);
  });

  it('reports every matching entry, most specific first, with list and reason', () => {
    const e1 = entry('hostname', 'gov.vn', 'builtin', 'Built-in');
    const e2 = entry('hostname', 'thanhhoa.gov.vn', 'l2', 'Provinces');
    const e3 = entry('hostname', 'gov.vn', 'l3', 'Third');
    expect(build(e1, e2, e3).match('domain', 'www.thanhhoa.gov.vn')).toEqual([
      {
        entryId: e2.id,
        listId: 'l2',
        listName: 'Provinces',
        kind: 'hostname',
        entry: 'thanhhoa.gov.vn',
        reason: 'under protected hostname thanhhoa.gov.vn',
      },
      {
        entryId: e1.id,
        listId: 'builtin',
        listName: 'Built-in',
        kind: 'hostname',
        entry: 'gov.vn',
        reason: 'under protected hostname gov.vn',
      },
      {
        entryId: e3.id,
        listId: 'l3',
        listName: 'Third',
        kind: 'hostname',
        entry: 'gov.vn',
        reason: 'under protected hostname gov.vn',
      },
    ]);
  });
});

describe('ProtectedMatcher: addresses and networks', () => {
  const m = build(
    entry('cidr', '10.0.0.0/8', 'a'),
    entry('cidr', '10.0.0.0/8', 'b'),
    entry('cidr', '10.1.0.0/16'),
    entry('cidr', '10.1.2.0/24'),
    entry('cidr', '10.2.0.0/16'),
    entry('cidr', '12.0.0.0/8'),
    entry('cidr', '8.8.8.8/32'),
    entry('cidr', '2001:db8::/32'),
    entry('cidr', '2001:4860:4860::8888/128'),
  );

  it('finds an IPv4 address inside a network, at both ends', () => {
    expect(entries(m.match('ipv4', '10.0.0.0'))).toEqual(['10.0.0.0/8', '10.0.0.0/8']);
    expect(entries(m.match('ipv4', '10.255.255.255'))).toEqual(['10.0.0.0/8', '10.0.0.0/8']);
    expect(m.match('ipv4', '9.255.255.255')).toEqual([]);
    expect(m.match('ipv4', '11.0.0.0')).toEqual([]);
    expect(m.match('ipv4', '11.255.255.255')).toEqual([]);
    expect(entries(m.match('ipv4', '12.0.0.1'))).toEqual(['12.0.0.0/8']);
    expect(reasons(m.match('ipv4', '10.9.9.9'))).toEqual([
      'inside protected network 10.0.0.0/8',
      'inside protected network 10.0.0.0/8',
    ]);
  });

  it('finds every enclosing network, most specific first', () => {
    expect(entries(m.match('ipv4', '10.1.2.3'))).toEqual([
      '10.1.2.0/24',
      '10.1.0.0/16',
      '10.0.0.0/8',
      '10.0.0.0/8',
    ]);
    // The nearest network before 10.3.0.1 (10.2.0.0/16) does not hold it; its parent does.
    expect(entries(m.match('ipv4', '10.3.0.1'))).toEqual(['10.0.0.0/8', '10.0.0.0/8']);
    expect(entries(m.match('ipv4', '10.1.3.0'))).toEqual([
      '10.1.0.0/16',
      '10.0.0.0/8',
      '10.0.0.0/8',
    ]);
  });

  it('matches a single address entry exactly', () => {
    expect(reasons(m.match('ipv4', '8.8.8.8'))).toEqual(['equals protected network 8.8.8.8/32']);
    expect(m.match('ipv4', '8.8.8.9')).toEqual([]);
    expect(m.match('ipv4', '8.8.8.7')).toEqual([]);
  });

  it('finds an IPv6 address inside a network, at both ends', () => {
    expect(entries(m.match('ipv6', '2001:db8::'))).toEqual(['2001:db8::/32']);
    expect(entries(m.match('ipv6', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff'))).toEqual([
      '2001:db8::/32',
    ]);
    expect(m.match('ipv6', '2001:db9::')).toEqual([]);
    expect(m.match('ipv6', '2001:db7:ffff:ffff:ffff:ffff:ffff:ffff')).toEqual([]);
    expect(entries(m.match('ipv6', '2001:4860:4860::8888'))).toEqual(['2001:4860:4860::8888/128']);
    expect(m.match('ipv6', '2001:4860:4860::8844')).toEqual([]);
  });

  it('keeps the families apart', () => {
    // 10.0.0.0 is 0a00:0000; no IPv6 address near it is in an IPv4 network.
    expect(m.match('ipv6', 'a00::')).toEqual([]);
    expect(m.match('ipv6', '::a00:1')).toEqual([]);
  });

  it('finds the protected networks a blocked network contains', () => {
    expect(reasons(m.match('cidr', '8.8.8.0/24'))).toEqual([
      'overlaps protected network 8.8.8.8/32',
    ]);
    expect(entries(m.match('cidr', '10.0.0.0/7'))).toEqual(
      expect.arrayContaining(['10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24', '10.2.0.0/16']),
    );
    expect(m.match('cidr', '10.0.0.0/7')[0].reason).toBe('overlaps protected network 10.0.0.0/8');
    expect(entries(m.match('cidr', '2001:db8::/31'))).toEqual(['2001:db8::/32']);
    expect(entries(m.match('cidr', '2001:4860::/32'))).toEqual(['2001:4860:4860::8888/128']);
  });

  it('finds the protected networks that contain a blocked network', () => {
    expect(reasons(m.match('cidr', '10.1.2.128/25'))).toEqual([
      'inside protected network 10.1.2.0/24',
      'inside protected network 10.1.0.0/16',
      'inside protected network 10.0.0.0/8',
      'inside protected network 10.0.0.0/8',
    ]);
    expect(reasons(m.match('cidr', '2001:db8:1::/48'))).toEqual([
      'inside protected network 2001:db8::/32',
    ]);
    expect(reasons(m.match('cidr', '12.0.0.0/8'))).toEqual(['equals protected network 12.0.0.0/8']);
  });

  it('does not report networks that only touch', () => {
    expect(m.match('cidr', '11.0.0.0/8')).toEqual([]);
    expect(m.match('cidr', '8.8.8.0/29')).toEqual([]);
    expect(m.match('cidr', '8.8.8.9/32')).toEqual([]);
    expect(m.match('cidr', '2001:db9::/32')).toEqual([]);
  });

  it(`reports at most ${MAX_MATCHES_PER_VALUE} matches`, () => {
    const many = build(...Array.from({ length: 30 }, (_, i) => entry('cidr', `10.0.0.${i}/32`)));
    expect(many.match('cidr', '10.0.0.0/24')).toHaveLength(MAX_MATCHES_PER_VALUE);
    expect(many.match('cidr', '0.0.0.0/0')).toHaveLength(MAX_MATCHES_PER_VALUE);
    expect(many.match('cidr', '10.0.0.0/28')).toHaveLength(MAX_MATCHES_PER_VALUE);
    expect(many.match('cidr', '10.0.0.0/29')).toHaveLength(8);
  });
});

describe('ProtectedMatcher: IPv4-mapped IPv6', () => {
  const m = build(entry('cidr', '8.8.8.0/24'), entry('cidr', '2001:db8::/32'));

  it('checks ::ffff:a.b.c.d against IPv4 networks', () => {
    const value = canon('ipv6', '::ffff:8.8.8.8');
    expect(value).toBe('::ffff:808:808');
    expect(reasons(m.match('ipv6', value))).toEqual([
      'inside protected network 8.8.8.0/24 (IPv4-mapped)',
    ]);
    expect(m.match('ipv6', canon('ipv6', '::ffff:9.9.9.9'))).toEqual([]);
  });

  it('does not treat other IPv6 addresses as IPv4', () => {
    expect(m.match('ipv6', '::808:808')).toEqual([]);
    expect(m.match('ipv6', '64:ff9b::808:808')).toEqual([]);
  });

  it('checks an IPv4-mapped network against IPv4 networks', () => {
    expect(entries(m.match('cidr', '::ffff:808:800/120'))).toEqual(['8.8.8.0/24']);
    expect(entries(m.match('cidr', '::ffff:800:0/104'))).toEqual(['8.8.8.0/24']);
    expect(entries(m.match('cidr', '::/0'))).toEqual(['2001:db8::/32', '8.8.8.0/24']);
    expect(m.match('cidr', '::ffff:909:900/120')).toEqual([]);
  });
});

describe('ProtectedMatcher: URLs, strings and hashes', () => {
  const md5 = 'd41d8cd98f00b204e9800998ecf8427e';
  const m = build(
    entry('hostname', 'gov.vn'),
    entry('cidr', '192.0.2.0/24'),
    entry('cidr', '2001:db8::/32'),
    entry('string', 'http://example.com/exact'),
    entry('string', 'example.org'),
    entry('string', md5),
    entry('hostname', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'),
  );

  it('checks a URL host name against hostname entries', () => {
    expect(reasons(m.match('url', canon('url', 'https://Portal.GOV.VN/login')))).toEqual([
      'URL host under protected hostname gov.vn',
    ]);
    expect(m.match('url', canon('url', 'https://evilgov.vn/x'))).toEqual([]);
    expect(m.match('url', canon('url', 'https://evil.com/?next=gov.vn'))).toEqual([]);
    expect(m.match('url', canon('url', 'https://gov.vn.evil.com/'))).toEqual([]);
  });

  it('checks a URL IP literal host against networks', () => {
    expect(reasons(m.match('url', canon('url', 'http://192.0.2.10/payload.exe')))).toEqual([
      'URL host inside protected network 192.0.2.0/24',
    ]);
    expect(reasons(m.match('url', canon('url', 'http://[2001:DB8::1]:8080/')))).toEqual([
      'URL host inside protected network 2001:db8::/32',
    ]);
    expect(m.match('url', canon('url', 'http://192.0.3.10/'))).toEqual([]);
    expect(m.match('url', canon('url', 'http://[2001:db9::1]/'))).toEqual([]);
  });

  it('matches a whole URL exactly as a string', () => {
    expect(reasons(m.match('url', canon('url', 'HTTP://example.com/exact')))).toEqual([
      'equals protected string http://example.com/exact',
    ]);
    expect(m.match('url', canon('url', 'http://example.com/exact?x=1'))).toEqual([]);
    expect(m.match('url', canon('url', 'http://example.com/other'))).toEqual([]);
  });

  it('matches a string entry only exactly', () => {
    expect(reasons(m.match('domain', 'example.org'))).toEqual([
      'equals protected string example.org',
    ]);
    expect(m.match('domain', 'www.example.org')).toEqual([]);
  });

  it('matches hashes only by exact string', () => {
    expect(entries(m.match('md5', md5))).toEqual([md5]);
    expect(m.match('md5', 'd41d8cd98f00b204e9800998ecf8427f')).toEqual([]);
    // A hostname entry spelled like the hash is not an exact string entry.
    expect(
      m.match('sha256', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'),
    ).toEqual([]);
  });

  it('does not match an unprotected value', () => {
    expect(m.match('domain', 'example.net')).toEqual([]);
    expect(m.match('ipv4', '198.51.100.1')).toEqual([]);
  });
});

describe('ProtectedMatcher.build', () => {
  it('counts its entries', () => {
    expect(build(entry('string', 'a'), entry('cidr', '1.2.3.4/32')).size).toBe(2);
  });

  it('refuses an entry it cannot index instead of ignoring it', () => {
    expect(() => build(entry('cidr', 'not-a-network'))).toThrow(/not an IP network/);
    expect(() => build(entry('cidr', '10.0.0.0/40'))).toThrow(/not an IP network/);
    expect(() => build(entry('hostname', '.'))).toThrow(/empty hostname/);
    expect(() => build(entry('ip' as ProtectedEntryKind, '1.2.3.4'))).toThrow(/unknown kind ip/);
  });
});

describe('built-in list', () => {
  const m = ProtectedMatcher.build(builtinProtectedEntries());

  it('holds normalized, unique values', () => {
    for (const e of BUILTIN_ENTRIES) {
      expect(normalizeProtectedEntry(e.kind, e.value)).toEqual({ ok: true, value: e.value });
      expect(e.comment).not.toBe('');
    }
    expect(new Set(BUILTIN_ENTRIES.map((e) => e.value)).size).toBe(BUILTIN_ENTRIES.length);
  });

  it.each([
    ['ipv4', '10.20.30.40', '10.0.0.0/8'],
    ['ipv4', '172.31.255.255', '172.16.0.0/12'],
    ['ipv4', '192.168.1.1', '192.168.0.0/16'],
    ['ipv4', '100.64.0.1', '100.64.0.0/10'],
    ['ipv4', '100.127.255.255', '100.64.0.0/10'],
    ['ipv4', '127.0.0.1', '127.0.0.0/8'],
    ['ipv4', '169.254.169.254', '169.254.0.0/16'],
    ['ipv4', '192.0.2.1', '192.0.2.0/24'],
    ['ipv4', '198.51.100.7', '198.51.100.0/24'],
    ['ipv4', '203.0.113.9', '203.0.113.0/24'],
    ['ipv4', '239.255.255.250', '224.0.0.0/4'],
    ['ipv4', '255.255.255.255', '240.0.0.0/4'],
    ['ipv6', '2001:db8::1', '2001:db8::/32'],
    ['ipv6', '::1', '::1/128'],
    ['ipv6', 'fe80::1', 'fe80::/10'],
    ['ipv6', 'fd12:3456::1', 'fc00::/7'],
    ['ipv6', '::ffff:808:808', '::ffff:0:0/96'],
    ['cidr', '172.0.0.0/8', '172.16.0.0/12'],
    ['cidr', '100.0.0.0/8', '100.64.0.0/10'],
    ['domain', 'thanhhoa.gov.vn', 'gov.vn'],
    ['domain', 'gov.vn', 'gov.vn'],
    ['domain', 'www.example.com', 'example.com'],
    ['domain', 'printer.local', 'local'],
    ['domain', '1.0.0.127.in-addr.arpa', 'arpa'],
    ['url', 'http://10.0.0.1/admin', '10.0.0.0/8'],
    ['url', 'https://dichvucong.gov.vn/p', 'gov.vn'],
  ] as const)('%s %s is protected by %s', (type, value, expected) => {
    const matches = m.match(type, value);
    expect(entries(matches)).toContain(expected);
    expect(matches.every((x) => x.listId === BUILTIN_LIST_ID)).toBe(true);
    expect(matches[0].listName).toBe(BUILTIN_LIST_NAME);
  });

  it.each([
    ['ipv4', '8.8.8.8'],
    ['ipv4', '100.128.0.0'],
    ['ipv4', '100.63.255.255'],
    ['ipv4', '172.32.0.0'],
    ['ipv4', '11.0.0.1'],
    ['ipv6', '2606:4700::1111'],
    ['domain', 'evilgov.vn'],
    ['domain', 'vnexpress.net'],
    ['domain', 'example.com.vn'],
    ['url', 'https://phish.example.co/login'],
  ] as const)('%s %s is not protected', (type, value) => {
    expect(m.match(type, value)).toEqual([]);
  });
});

describe('MISP warninglist parser', () => {
  const doc = (type: string, list: unknown[], matching_attributes?: string[]) => ({
    name: 'Test list',
    description: 'for tests',
    version: 3,
    type,
    list,
    ...(matching_attributes ? { matching_attributes } : {}),
  });

  it('maps a cidr list: single addresses, alignment, duplicates, garbage', () => {
    const r = parseMispWarninglist(
      doc('cidr', ['1.2.3.4', '10.1.2.3/8', 'FE80::/10', 'garbage', '1.2.3.4/32', ' ', 42]),
    );
    expect(r).toEqual({
      ok: true,
      name: 'Test list',
      description: 'for tests',
      version: 3,
      type: 'cidr',
      matchingAttributes: [],
      entries: [
        { kind: 'cidr', value: '1.2.3.4/32' },
        { kind: 'cidr', value: '10.0.0.0/8' },
        { kind: 'cidr', value: 'fe80::/10' },
      ],
      skipped: [
        { value: 'garbage', reason: 'not an IPv4 or IPv6 address or network' },
        { value: ' ', reason: 'empty value' },
        { value: '42', reason: 'not a string' },
      ],
      notes: [
        { value: '10.1.2.3/8', note: 'host bits were set: 10.1.2.3/8 aligned to 10.0.0.0/8' },
      ],
    });
  });

  it('maps a hostname list to hostname entries', () => {
    const r = parseMispWarninglist(doc('hostname', ['Example.COM', '*.foo.org', 'bad host']));
    expect(r.ok && r.entries).toEqual([
      { kind: 'hostname', value: 'example.com' },
      { kind: 'hostname', value: 'foo.org' },
    ]);
    expect(r.ok && r.skipped.map((s) => s.value)).toEqual(['bad host']);
  });

  it('maps a domain string list: exact names, leading dot as hostname, IPs canonical', () => {
    const r = parseMispWarninglist(
      doc(
        'string',
        ['.google.ad', 'Gmail.com', 'not a host!', '2001:DB8::1', 'gmail.com'],
        ['hostname', 'domain'],
      ),
    );
    expect(r.ok && r.entries).toEqual([
      { kind: 'hostname', value: 'google.ad' },
      { kind: 'string', value: 'gmail.com' },
      { kind: 'string', value: 'not a host!' },
      { kind: 'string', value: '2001:db8::1' },
    ]);
  });

  it('keeps other string lists as they are', () => {
    const r = parseMispWarninglist(doc('string', ['.google.ad', 'ABC'], ['md5']));
    expect(r.ok && r.entries).toEqual([
      { kind: 'string', value: '.google.ad' },
      { kind: 'string', value: 'ABC' },
    ]);
  });

  it.each(['substring', 'regex'])('refuses a %s list whole', (type) => {
    const r = parseMispWarninglist(doc(type, ['x']));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(new RegExp(`type "${type}" are not supported`));
  });

  it.each([
    [null, /JSON object/],
    [[], /JSON object/],
    [{ ...doc('cidr', []), name: 5 }, /"name"/],
    [{ ...doc('cidr', []), version: '1' }, /"version"/],
    [{ ...doc('cidr', []), type: 'ip' }, /"type"/],
    [{ ...doc('cidr', []), list: 'x' }, /"list"/],
    [{ ...doc('cidr', []), matching_attributes: [1] }, /"matching_attributes"/],
  ])('refuses an invalid document (%#)', (input, reason) => {
    const r = parseMispWarninglist(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });
});

const LISTS_DIR = MISP_LISTS_DIR;
const describeIfShared = describeWithShared(LISTS_DIR);

/** ipaddr.parseCIDR, without its slow IPv6-first attempt on IPv4 networks. */
const parseCidr = (value: string): [ipaddr.IPv4 | ipaddr.IPv6, number] =>
  value.includes(':') ? ipaddr.IPv6.parseCIDR(value) : ipaddr.IPv4.parseCIDR(value);

/** A small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describeIfShared('real MISP warninglists (shared/data/misp-warninglists)', () => {
  const lists = new Map<string, string[]>();
  let all: ProtectedEntryInput[] = [];
  let m: ProtectedMatcher;

  beforeAll(() => {
    all = builtinProtectedEntries();
    for (const id of readdirSync(LISTS_DIR).sort()) {
      const file = path.join(LISTS_DIR, id, 'list.json');
      if (!existsSync(file)) continue;
      const doc = JSON.parse(readFileSync(file, 'utf8')) as { list: string[] };
      const parsed = parseMispWarninglist(doc);
      if (!parsed.ok) throw new Error(`${id}: ${parsed.reason}`);
      lists.set(id, doc.list);
      all.push(...mispEntriesFor(id, parsed.name, parsed.entries));
    }
    m = ProtectedMatcher.build(all);
  });

  const listsOf = (type: IndicatorType, value: string): string[] =>
    m.match(type, value).map((x) => x.listId);

  it('parses every list without losing values', () => {
    expect(lists.size).toBeGreaterThanOrEqual(10);
    const count = (kind: ProtectedEntryKind) => all.filter((e) => e.kind === kind).length;
    expect(count('cidr')).toBeGreaterThan(60000);
    expect(count('hostname')).toBeGreaterThan(10000);
    expect(count('string')).toBeGreaterThan(10000);
    expect(m.size).toBe(all.length);
  });

  it('turns the leading-dot values of the google list into hostname entries', () => {
    const google = all.filter((e) => e.listId === 'google');
    const dotted = lists.get('google')?.filter((v) => v.startsWith('.')) ?? [];
    expect(dotted.length).toBeGreaterThan(0);
    expect(google.filter((e) => e.kind === 'hostname')).toHaveLength(dotted.length);
  });

  it('knows the answers for well-known values', () => {
    expect(listsOf('ipv4', '8.8.8.8')).toContain('public-dns-v4');
    expect(listsOf('ipv4', '9.9.9.9')).toContain('public-dns-v4');
    expect(listsOf('ipv4', '10.1.1.1')).toEqual(
      expect.arrayContaining(['rfc1918', 'rfc5735', BUILTIN_LIST_ID]),
    );
    expect(listsOf('ipv4', '100.100.100.100')).toContain('rfc6598');
    expect(listsOf('cidr', '8.8.8.0/24')).toContain('public-dns-v4');
    expect(listsOf('ipv6', canon('ipv6', '::ffff:8.8.8.8'))).toContain('public-dns-v4');
    expect(listsOf('ipv6', '2001:4860:4860::8888')).toContain('public-dns-v6');
    expect(listsOf('ipv6', 'fe80::1')).toContain('ipv6-linklocal');
    expect(listsOf('ipv4', '104.244.13.7')).toContain('sinkholes');
    if (lists.get('tranco10k')?.includes('google.com')) {
      expect(listsOf('domain', 'www.google.com')).toContain('tranco10k');
      expect(listsOf('url', 'https://mail.google.com/x')).toContain('tranco10k');
    }
    const googleAd = m.match('domain', 'mail.google.ad').find((x) => x.listId === 'google');
    expect(googleAd).toMatchObject({
      kind: 'hostname',
      entry: 'google.ad',
      reason: 'under protected hostname google.ad',
    });
    expect(listsOf('domain', 'co.uk')).toContain('second-level-tlds');
    expect(listsOf('domain', 'qzxv7k2m9w4t.co.uk')).toEqual([]);
    expect(listsOf('domain', '10.in-addr.arpa')).toContain('rfc6761');
  });

  it('does not protect obviously random values', () => {
    expect(listsOf('ipv4', '45.67.89.10')).toEqual([]);
    expect(listsOf('domain', 'qzxv7k2m9w4t-malware.com')).toEqual([]);
    expect(listsOf('url', 'http://qzxv7k2m9w4t-malware.com/a.exe')).toEqual([]);
    expect(listsOf('cidr', '45.67.89.0/24')).toEqual([]);
    expect(listsOf('sha256', 'a'.repeat(64))).toEqual([]);
  });

  it('answers 100,000 values as a linear scan does (sample of 300)', () => {
    const values = generateValues(all, 100_000, prng(42));
    const answers = values.map(([type, value]) => m.match(type, value));
    const oracle = new NaiveMatcher(all);
    const random = prng(7);
    let positives = 0;
    for (let k = 0; k < 300; k++) {
      const i = Math.floor(random() * values.length);
      const [type, value] = values[i];
      const got = answers[i].map((x) => x.entryId);
      const expected = oracle.match(type, value);
      expect(new Set(got).size).toBe(got.length);
      if (expected.size <= MAX_MATCHES_PER_VALUE) {
        expect({ type, value, ids: [...got].sort() }).toEqual({
          type,
          value,
          ids: [...expected].sort(),
        });
      } else {
        expect(got).toHaveLength(MAX_MATCHES_PER_VALUE);
        for (const id of got) expect(expected.has(id)).toBe(true);
      }
      if (expected.size > 0) positives++;
    }
    expect(positives).toBeGreaterThan(50);
    expect(positives).toBeLessThan(250);
  });
});

/** Values of every type: random, listed, under listed names, around listed networks. */
function generateValues(
  all: ProtectedEntryInput[],
  count: number,
  random: () => number,
): [IndicatorType, string][] {
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)];
  const byte = () => Math.floor(random() * 256);
  const word = () => Math.floor(random() * 65536);
  const label = () => Math.floor(random() * 36 ** 6).toString(36);
  const hostnames = all.filter((e) => e.kind === 'hostname').map((e) => e.value);
  const strings = all.filter((e) => e.kind === 'string').map((e) => e.value);
  const networks = all.filter((e) => e.kind === 'cidr').map((e) => parseCidr(e.value));
  const v4 = networks.filter(([a]) => a.kind() === 'ipv4') as [ipaddr.IPv4, number][];
  const v6 = networks.filter(([a]) => a.kind() === 'ipv6') as [ipaddr.IPv6, number][];
  const randomV4 = () => `${byte()}.${byte()}.${byte()}.${byte()}`;
  const randomV6 = () =>
    new ipaddr.IPv6(
      Array.from({ length: 8 }, (_, i) => (i === 0 ? 0x2000 | (word() & 0xfff) : word())),
    ).toRFC5952String();
  /** An address in the network, or just past it. */
  const near4 = ([a, p]: [ipaddr.IPv4, number]): string => {
    const n = a.octets.reduce((x, o) => x * 256 + o, 0) + Math.floor(random() * 2 ** (33 - p));
    const o = [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256);
    return o.join('.');
  };
  /** An address in the network. */
  const near6 = ([a, p]: [ipaddr.IPv6, number]): string => {
    const parts = a.parts.map((part, k) => {
      const mask = (0xffff << (16 - Math.min(16, Math.max(0, p - 16 * k)))) & 0xffff;
      return (part & mask) | (word() & ~mask & 0xffff);
    });
    return new ipaddr.IPv6(parts).toRFC5952String();
  };
  const network4 = (address: string, p: number): string =>
    `${ipaddr.IPv4.networkAddressFromCIDR(`${address}/${p}`).toString()}/${p}`;
  const network6 = (address: string, p: number): string =>
    `${ipaddr.IPv6.networkAddressFromCIDR(`${address}/${p}`).toRFC5952String()}/${p}`;

  const makers: (() => [IndicatorType, string])[] = [
    () => ['ipv4', randomV4()],
    () => ['ipv4', near4(pick(v4))],
    () => ['ipv6', randomV6()],
    () => ['ipv6', near6(pick(v6))],
    () => ['ipv6', canon('ipv6', `::ffff:${near4(pick(v4))}`)],
    () => ['cidr', network4(randomV4(), 8 + Math.floor(random() * 25))],
    () => ['cidr', network4(near4(pick(v4)), 16 + Math.floor(random() * 17))],
    () => ['cidr', network6(near6(pick(v6)), 16 + Math.floor(random() * 113))],
    () => ['domain', `${label()}.${pick(['com', 'net', 'vn', 'com.vn', 'io', 'co.uk'])}`],
    () => ['domain', `${label()}.${pick(hostnames)}`],
    () => ['domain', `${label()}${pick(hostnames)}`],
    () => ['domain', `${pick(hostnames)}.${label()}.com`],
    () => ['domain', pick(strings)],
    () => ['url', `https://${label()}.${pick(hostnames)}/${label()}`],
    () => ['url', `http://${near4(pick(v4))}/${label()}.exe`],
    () => ['url', `http://[${near6(pick(v6))}]:8080/`],
    () => ['md5', Array.from({ length: 16 }, () => byte().toString(16).padStart(2, '0')).join('')],
  ];
  return Array.from({ length: count }, () => pick(makers)());
}

/** The oracle: every entry checked one by one with ipaddr.js's own matching. */
class NaiveMatcher {
  private readonly nets: { id: string; net: [ipaddr.IPv4 | ipaddr.IPv6, number] }[] = [];
  private readonly mappedSpace = ipaddr.parse('::ffff:0:0');

  constructor(private readonly all: ProtectedEntryInput[]) {
    for (const e of all)
      if (e.kind === 'cidr') this.nets.push({ id: e.id, net: parseCidr(e.value) });
  }

  match(type: IndicatorType, value: string): Set<string> {
    const ids = new Set<string>();
    for (const e of this.all) if (e.kind === 'string' && e.value === value) ids.add(e.id);
    if (type === 'domain') this.hostname(value, ids);
    if (type === 'ipv4' || type === 'ipv6') this.network(ipaddr.parse(value), -1, ids);
    if (type === 'cidr') {
      const [a, p] = parseCidr(value);
      this.network(a, p, ids);
    }
    if (type === 'url') {
      const host = new URL(value).hostname.replace(/^\[(.*)\]$/, '$1');
      if (ipaddr.isValid(host)) this.network(ipaddr.parse(host), -1, ids);
      else this.hostname(host, ids);
    }
    return ids;
  }

  private hostname(name: string, ids: Set<string>): void {
    for (const e of this.all) {
      if (e.kind === 'hostname' && (name === e.value || name.endsWith(`.${e.value}`)))
        ids.add(e.id);
    }
  }

  /** prefix -1: a single address. */
  private network(a: ipaddr.IPv4 | ipaddr.IPv6, prefix: number, ids: Set<string>): void {
    const p = prefix >= 0 ? prefix : a.kind() === 'ipv4' ? 32 : 128;
    for (const { id, net } of this.nets) {
      if (net[0].kind() !== a.kind()) continue;
      const overlaps = p <= net[1] ? net[0].match(a, p) : a.match(net);
      if (overlaps) ids.add(id);
    }
    if (a.kind() === 'ipv6') {
      const v6 = a as ipaddr.IPv6;
      if (p >= 96 && v6.isIPv4MappedAddress()) this.network(v6.toIPv4Address(), p - 96, ids);
      else if (p <= 96 && this.mappedSpace.match(v6, p))
        this.network(ipaddr.parse('0.0.0.0'), 0, ids);
    }
  }
}
