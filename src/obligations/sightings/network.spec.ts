import { describe, expect, it } from '@jest/globals';
import { canonicalNetwork } from '#src/obligations/sightings/network.js';

describe('canonicalNetwork (sightings)', () => {
  it.each([
    ['198.51.100.7', '198.51.100.7/32'],
    ['203.0.113.0/26', '203.0.113.0/26'],
    ['2001:DB8::1', '2001:db8::1/128'],
    ['2001:db8:0::/48', '2001:db8::/48'],
  ])('%s → %s', (raw, canonical) => {
    expect(canonicalNetwork(raw)).toEqual({ ok: true, value: canonical });
  });
  it.each([['203.0.113.5/24'], ['010.1.1.1'], ['host.example'], ['1.2.3.4/33'], ['']])(
    'refuses %j',
    (raw) => {
      expect(canonicalNetwork(raw).ok).toBe(false);
    },
  );
});
