import { describe, expect, it } from '@jest/globals';
import { parseRange, UnitMatcher, unmapped } from '#src/response/units/unit-matcher.js';

const matcher = UnitMatcher.build([
  { unitId: 'wide', network: '5.0.0.0/8' },
  { unitId: 'mid', network: '5.1.0.0/16' },
  { unitId: 'narrow', network: '5.1.2.0/24' },
  { unitId: 'host', network: '5.1.2.3/32' },
  { unitId: 'sibling', network: '5.2.0.0/16' },
  { unitId: 'top', network: '255.255.255.255/32' },
  { unitId: 'zero', network: '0.0.0.0/32' },
  { unitId: 'v6-wide', network: '2a0e:b100::/32' },
  { unitId: 'v6-mid', network: '2a0e:b100:1::/48' },
  { unitId: 'v6-narrow', network: '2a0e:b100:1:2::/64' },
  { unitId: 'v6-host', network: '2a0e:b100:1:2::7/128' },
  { unitId: 'v6-last', network: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128' },
]);
const unitOf = (address: string): string | null => matcher.match(address)?.unitId ?? null;
const unitOfNetwork = (cidr: string): string | null => matcher.matchNetwork(cidr)?.unitId ?? null;

describe('UnitMatcher', () => {
  it.each([
    ['5.1.2.3', 'host'],
    ['5.1.2.4', 'narrow'],
    ['5.1.2.255', 'narrow'],
    ['5.1.3.0', 'mid'],
    ['5.1.255.255', 'mid'],
    ['5.2.0.1', 'sibling'],
    ['5.3.0.0', 'wide'],
    ['5.0.0.0', 'wide'],
    ['5.255.255.255', 'wide'],
    ['6.0.0.0', null],
    ['4.255.255.255', null],
    ['255.255.255.255', 'top'],
    ['255.255.255.254', null],
    ['0.0.0.0', 'zero'],
    ['0.0.0.1', null],
  ])('IPv4 %s → %s (longest prefix)', (address, unit) => {
    expect(unitOf(address)).toBe(unit);
  });

  it.each([
    ['2a0e:b100:1:2::7', 'v6-host'],
    ['2a0e:b100:1:2::8', 'v6-narrow'],
    ['2a0e:b100:1:2:ffff:ffff:ffff:ffff', 'v6-narrow'],
    ['2a0e:b100:1:3::', 'v6-mid'],
    ['2a0e:b100:2::1', 'v6-wide'],
    ['2a0e:b101::1', null],
    ['2A0E:B100:0001:0002:0000:0000:0000:0007', 'v6-host'],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'v6-last'],
    ['::', null],
  ])('IPv6 %s → %s (longest prefix)', (address, unit) => {
    expect(unitOf(address)).toBe(unit);
  });

  it('matches IPv4-mapped IPv6 addresses as the IPv4 address they map', () => {
    expect(unitOf('::ffff:5.1.2.3')).toBe('host');
    expect(unitOf('::ffff:0501:0209')).toBe('narrow');
    expect(unitOfNetwork('::ffff:5.1.2.0/120')).toBe('narrow');
    expect(unitOfNetwork('::ffff:5.1.0.0/112')).toBe('mid');
  });

  it('answers the network that matched', () => {
    expect(matcher.match('5.1.2.9')).toEqual({ unitId: 'narrow', network: '5.1.2.0/24' });
    expect(matcher.match('2a0e:b100:1::1')).toEqual({
      unitId: 'v6-mid',
      network: '2a0e:b100:1::/48',
    });
  });

  it('matches a network to the unit whose network contains it whole', () => {
    expect(unitOfNetwork('5.1.2.0/24')).toBe('narrow');
    expect(unitOfNetwork('5.1.2.0/25')).toBe('narrow');
    expect(unitOfNetwork('5.1.2.3/32')).toBe('host');
    expect(unitOfNetwork('5.1.0.0/23')).toBe('mid');
    expect(unitOfNetwork('5.1.0.0/16')).toBe('mid');
    expect(unitOfNetwork('5.0.0.0/15')).toBe('wide');
    expect(unitOfNetwork('4.0.0.0/7')).toBeNull();
    expect(unitOfNetwork('0.0.0.0/0')).toBeNull();
    expect(unitOfNetwork('2a0e:b100:1:2::/64')).toBe('v6-narrow');
    expect(unitOfNetwork('2a0e:b100:1:2::/63')).toBe('v6-mid');
    expect(unitOfNetwork('2a0e:b100::/31')).toBeNull();
    expect(unitOfNetwork('::/0')).toBeNull();
  });

  it('covers everything with 0.0.0.0/0 and ::/0, still preferring longer prefixes', () => {
    const all = UnitMatcher.build([
      { unitId: 'any4', network: '0.0.0.0/0' },
      { unitId: 'any6', network: '::/0' },
      { unitId: 'in', network: '9.9.9.0/24' },
    ]);
    expect(all.match('0.0.0.0')?.unitId).toBe('any4');
    expect(all.match('255.255.255.255')?.unitId).toBe('any4');
    expect(all.match('9.9.9.9')?.unitId).toBe('in');
    expect(all.match('9.9.10.0')?.unitId).toBe('any4');
    expect(all.match('::')?.unitId).toBe('any6');
    expect(all.match('ffff::1')?.unitId).toBe('any6');
    expect(all.matchNetwork('0.0.0.0/0')?.unitId).toBe('any4');
    expect(all.matchNetwork('::/0')?.unitId).toBe('any6');
  });

  it('is empty when built from nothing, and refuses what is not an address', () => {
    const empty = UnitMatcher.build([]);
    expect(empty.match('1.2.3.4')).toBeNull();
    expect(empty.match('::1')).toBeNull();
    expect(unitOf('5.1.2')).toBeNull();
    expect(unitOf('5.1.2.3/32')).toBeNull();
    expect(unitOf('5.1.2.256')).toBeNull();
    expect(unitOf('host.example')).toBeNull();
    expect(unitOf('')).toBeNull();
    expect(unitOfNetwork('5.1.2.0/33')).toBeNull();
    expect(() => UnitMatcher.build([{ unitId: 'x', network: 'nope' }])).toThrow(/not an IP/);
  });

  it('agrees with a brute-force scan over random nested networks', () => {
    let seed = 42;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const nets: { unitId: string; network: string; start: number; end: number; len: number }[] = [];
    for (let i = 0; i < 400; i++) {
      const len = 8 + Math.floor(rand() * 25);
      const base = Math.floor(rand() * 2 ** 16) * 2 ** 16 + Math.floor(rand() * 2 ** 16);
      const size = 2 ** (32 - len);
      const start = Math.floor(base / size) * size;
      const ip = [24, 16, 8, 0].map((s) => Math.floor(start / 2 ** s) % 256).join('.');
      nets.push({ unitId: `u${i}`, network: `${ip}/${len}`, start, end: start + size - 1, len });
    }
    const m = UnitMatcher.build(nets);
    for (let k = 0; k < 3000; k++) {
      const pick = nets[Math.floor(rand() * nets.length)];
      const x =
        k % 2 === 0
          ? pick.start + Math.floor(rand() * (pick.end - pick.start + 1))
          : Math.floor(rand() * 2 ** 32);
      const best = nets.filter((n) => n.start <= x && x <= n.end).sort((a, b) => b.len - a.len)[0];
      const ip = [24, 16, 8, 0].map((s) => Math.floor(x / 2 ** s) % 256).join('.');
      const got = m.match(ip);
      // Duplicates (same network twice) may answer either unit: compare networks.
      expect(got?.network ?? null).toBe(best?.network ?? null);
    }
  });

  it('parses ranges with the host bits aligned', () => {
    expect(parseRange('5.1.2.3/24')).toEqual({ family: 4, start: 0x05010200, end: 0x050102ff });
    expect(parseRange('::/0')).toEqual({ family: 6, start: 0n, end: (1n << 128n) - 1n });
  });
});

describe('unmapped', () => {
  it('writes an IPv4-mapped address or network as the IPv4 one, and leaves the rest', () => {
    expect(unmapped('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(unmapped('::ffff:192.0.2.1/128')).toBe('192.0.2.1/32');
    expect(unmapped('::ffff:c000:200/120')).toBe('192.0.2.0/24');
    expect(unmapped('::ffff:0:0/64')).toBe('::ffff:0:0/64');
    expect(unmapped('2001:db8::1/128')).toBe('2001:db8::1/128');
    expect(unmapped('198.51.100.0/24')).toBe('198.51.100.0/24');
  });
});
