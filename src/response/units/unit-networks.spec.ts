import { describe, expect, it } from '@jest/globals';
import { canonicalUnitNetwork, overlapsWithin } from '#src/response/units/unit-networks.js';

describe('canonicalUnitNetwork', () => {
  it.each([
    ['113.160.12.7', '113.160.12.7/32'],
    [' 113.160.12.0/24 ', '113.160.12.0/24'],
    ['2402:800:1234:0::/48', '2402:800:1234::/48'],
    ['2402:800::1', '2402:800::1/128'],
  ])('%j → %s', (raw, value) => {
    expect(canonicalUnitNetwork(raw)).toEqual({ ok: true, value });
  });
  it.each([['113.160.12.7/24'], ['host.example'], ['1.2.3.4/33'], [''], ['010.1.1.1']])(
    'refuses %j',
    (raw) => {
      expect(canonicalUnitNetwork(raw).ok).toBe(false);
    },
  );
});

describe('overlapsWithin', () => {
  it('pairs each network with an earlier-starting (or wider) one it overlaps', () => {
    expect(
      overlapsWithin([
        '5.1.0.0/24',
        '5.0.0.0/8',
        '5.1.0.128/25',
        '6.0.0.0/24',
        '2a0e::/32',
        '2a0e:0:1::/48',
        '5.1.0.0/24',
      ]),
    ).toEqual([
      [0, 1],
      [2, 1],
      [5, 4],
      [6, 1],
    ]);
  });
  it('finds none among disjoint networks, IPv4 and IPv6 apart', () => {
    expect(overlapsWithin(['0.0.0.0/1', '128.0.0.0/1', '::/1', '8000::/1'])).toEqual([]);
    expect(overlapsWithin([])).toEqual([]);
  });
});
