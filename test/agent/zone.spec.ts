import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { rpzHeader, rpzIpOwner as serverIpOwner, rpzRecords } from '#src/feeds/snapshots/rpz.js';
import {
  EntrySet,
  RpzParser,
  canonicalIpv6,
  renderIpList,
  renderNft,
  renderZone,
  rpzIpOwner,
} from '#agent/lib/zone.js';

const settings = {
  ttl: 300,
  nameServer: 'ns.department.example',
  contact: 'hostmaster@department.example',
  noticeHost: 'notice.dic.example',
};

const parse = (text: string, chunk = 7): { set: EntrySet; parser: RpzParser } => {
  const set = new EntrySet();
  const parser = new RpzParser(set);
  // Cut anywhere: lines are split across the chunks of a streamed body.
  for (let i = 0; i < text.length; i += chunk) parser.push(text.slice(i, i + chunk));
  parser.end();
  return { set, parser };
};

const entries = (set: EntrySet) =>
  set.sorted(['domain', 'ipv4', 'ipv6', 'cidr', 'url']).map((e) => [e.type, e.value, e.action]);

const IPV6_CASES = [
  '2001:db8::1',
  '::1',
  '::',
  '1::',
  '2001:db8:0:0:1::1',
  '2001:db8:1:2:3:4:5:6',
  '2001:0:0:1::',
  'fe80::1:0:0:0',
  '::ffff:1.2.3.4',
  '2A0E:B100:00AB::0001',
];

describe('agent: RPZ zone (agent/lib/zone.js)', () => {
  it.each(IPV6_CASES)('writes the rpz-ip owner of %s as the server does', (address) => {
    for (const prefix of [128, 64, 48]) {
      expect(rpzIpOwner(address, prefix)).toBe(serverIpOwner(address, prefix));
    }
  });

  it('reads the server snapshot lines back into their entries', () => {
    const values: [string, string, 'nxdomain' | 'nodata' | 'redirect'][] = [
      ['domain', 'c2.bad-domain.com', 'nxdomain'],
      ['domain', 'xn--bcher-kva.example', 'nodata'],
      ['domain', 'phish.example.net', 'redirect'],
      ['ipv4', '192.0.2.1', 'nxdomain'],
      ['cidr', '192.0.2.0/24', 'nodata'],
      ['cidr', '10.0.0.0/8', 'nxdomain'],
      ['ipv6', '2001:db8::1', 'nxdomain'],
      ['ipv6', '::1', 'nxdomain'],
      ['ipv6', '1::', 'redirect'],
      ['ipv6', '2001:db8:1:2:3:4:5:6', 'nxdomain'],
      ['cidr', '2001:db8::/32', 'nxdomain'],
      ['cidr', '::/0', 'nodata'],
      ['cidr', '2001:db8:0:1::/64', 'nxdomain'],
      ['url', 'http://x.example/login?a=1', 'nxdomain'],
    ];
    const zone =
      rpzHeader(4211, settings, 'feed for organization x, version 4211') +
      values.map(([type, value, action]) => rpzRecords(type, value, action, settings)).join('');
    const { set, parser } = parse(zone.replace(/\n/g, '\r\n'));
    expect(parser.serial).toBe(4211);
    expect(set.redirectTarget).toBe('notice.dic.example.');
    expect(entries(set)).toEqual(
      [...values].sort(([ta, va], [tb, vb]) =>
        ta === tb
          ? va < vb
            ? -1
            : 1
          : ['domain', 'ipv4', 'ipv6', 'cidr', 'url'].indexOf(ta) -
            ['domain', 'ipv4', 'ipv6', 'cidr', 'url'].indexOf(tb),
      ),
    );
  });

  it('renders a zone that reads back into the same set, with the version record', () => {
    const set = new EntrySet();
    set.redirectTarget = 'notice.dic.example.';
    set.add('domain', 'b.example', 'nxdomain');
    set.add('domain', 'A.Example.', 'nodata');
    set.add('domain', 'r.example', 'redirect');
    set.add('ipv4', '198.51.100.7', 'nxdomain');
    set.add('ipv6', '2001:DB8:0::5', 'nxdomain');
    set.add('cidr', '203.0.113.0/24', 'nxdomain');
    set.add('cidr', '198.51.100.9/32', 'nxdomain');
    set.add('cidr', '2001:db8:abcd::/48', 'nodata');
    set.add('url', 'https://evil.example/x', 'nxdomain');
    expect(set.counts()).toEqual({ domain: 3, ipv4: 2, ipv6: 1, cidr: 2, url: 1 });
    const zone = [
      ...renderZone(set, {
        version: 77,
        origin: 'rpz.threat-exchange.',
        versionName: 'version.threat-exchange.internal',
        redirectTarget: set.redirectTarget,
      }),
    ].join('');
    expect(zone).toContain('version.threat-exchange.internal 1 IN TXT "version=77"\n');
    expect(zone).toContain('@ IN SOA localhost. hostmaster.localhost. 77 ');
    expect(zone).toContain('a.example CNAME *.\n*.a.example CNAME *.\n');
    expect(zone).toContain('r.example CNAME notice.dic.example.\n');
    expect(zone).toContain('48.zz.abcd.db8.2001.rpz-ip CNAME *.\n');
    const { set: back, parser } = parse(zone, 13);
    expect(parser.serial).toBe(77);
    expect(back.redirectTarget).toBe('notice.dic.example.');
    expect(entries(back)).toEqual(entries(set));
    // Stable: the same set renders the same bytes.
    expect(
      [
        ...renderZone(back, {
          version: 77,
          origin: 'o.',
          versionName: 'v',
          redirectTarget: back.redirectTarget,
        }),
      ].join(''),
    ).toBe(
      [
        ...renderZone(set, {
          version: 77,
          origin: 'o.',
          versionName: 'v',
          redirectTarget: set.redirectTarget,
        }),
      ].join(''),
    );
  });

  it('leaves out what would not fit under the origin (the resolver would refuse the whole zone)', () => {
    const label = (c: string) => c.repeat(63);
    // 253 characters: a valid name, too long for any origin.
    const longest = [label('a'), label('b'), label('c'), 'd'.repeat(61)].join('.');
    // 232 characters: fits under rpz.threat-exchange, but not with "*." in front.
    const almost = [label('e'), label('f'), label('g'), 'h'.repeat(40)].join('.');
    const set = new EntrySet();
    expect(set.add('domain', `${label('x')}x.example`, 'nxdomain')).toBe(false); // a 64-octet label
    expect(set.add('domain', longest, 'nxdomain')).toBe(true);
    expect(set.add('domain', almost, 'nxdomain')).toBe(true);
    set.add('domain', 'fits.example', 'nxdomain');
    const origin = 'rpz.threat-exchange.';
    const zone = [
      ...renderZone(set, { version: 5, origin, versionName: 'v.internal', redirectTarget: null }),
    ].join('');
    expect(zone).toContain(`; domain too long for the zone's origin: ${longest}\n`);
    expect(zone).toContain(`\n${almost} CNAME .\n`);
    expect(zone).not.toContain(`*.${almost}`);
    expect(zone).toContain('*.fits.example CNAME .\n');
    for (const line of zone.split('\n')) {
      const owner = line.split(' ')[0];
      if (line.startsWith(';') || !owner || owner.startsWith('$') || owner === '@') continue;
      expect(`${owner}.${origin}`.length).toBeLessThanOrEqual(255);
    }
  });

  it('canonicalizes IPv6 as RFC 5952 and refuses what is not an address', () => {
    expect(canonicalIpv6('2001:0DB8:0000:0000:0001:0000:0000:0001')).toBe('2001:db8::1:0:0:1');
    expect(canonicalIpv6('0:0:0:0:0:0:0:0')).toBe('::');
    expect(canonicalIpv6('1:0:1:1:1:1:1:1')).toBe('1:0:1:1:1:1:1:1');
    for (const bad of ['1::2::3', '12345::', 'g::1', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9']) {
      expect(canonicalIpv6(bad)).toBeNull();
    }
  });

  describe('nftables and IP list', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'agent-nft-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const set = new EntrySet();
    for (const v of ['198.51.100.7', '192.0.2.1']) set.add('ipv4', v, 'nxdomain');
    set.add('cidr', '203.0.113.0/24', 'nxdomain');
    set.add('cidr', '198.51.100.0/24', 'nxdomain');
    set.add('ipv6', '2001:db8::5', 'nxdomain');
    set.add('cidr', '2001:db8:abcd::/48', 'nxdomain');
    set.add('domain', 'not-an-address.example', 'nxdomain');

    it('lists every address and network, sorted, and nothing else', () => {
      expect([...renderIpList(set)].join('')).toBe(
        '192.0.2.1\n198.51.100.0/24\n198.51.100.7\n2001:db8::5\n2001:db8:abcd::/48\n203.0.113.0/24\n',
      );
    });

    it('writes an nftables script that nft -c accepts (empty sets too)', () => {
      const script = [...renderNft(set, 'threat_exchange')].join('');
      expect(script).toContain(
        'add element inet threat_exchange blocked_ipv4 { 192.0.2.1, 198.51.100.0/24, 198.51.100.7, 203.0.113.0/24 }\n',
      );
      expect(script).toContain(
        'add element inet threat_exchange blocked_ipv6 { 2001:db8::5, 2001:db8:abcd::/48 }\n',
      );
      expect(script).toContain('flush set inet threat_exchange blocked_ipv4\n');
      const empty = [...renderNft(new EntrySet(), 'te_empty')].join('');
      expect(empty).not.toContain('add element');
      let nft = true;
      try {
        execFileSync('nft', ['--version'], { stdio: 'ignore' });
      } catch {
        nft = false;
      }
      if (!nft) return;
      for (const [name, text] of [
        ['full.nft', script],
        ['empty.nft', empty],
      ]) {
        const file = path.join(dir, name);
        writeFileSync(file, text);
        execFileSync('nft', ['-c', '-f', file], { stdio: 'pipe' });
      }
      writeFileSync(path.join(dir, 'bad.nft'), script.replace('192.0.2.1,', '192.0.2.300,'));
      expect(() =>
        execFileSync('nft', ['-c', '-f', path.join(dir, 'bad.nft')], { stdio: 'pipe' }),
      ).toThrow();
    });
  });
});
