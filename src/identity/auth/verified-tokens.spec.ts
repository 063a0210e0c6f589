import { afterEach, describe, expect, it, jest } from '@jest/globals';
import type { IdentityConfig } from '#src/identity/identity.config.js';
import type { KeysService } from '#src/identity/keys/keys.service.js';
import { VerifiedTokens } from '#src/identity/auth/verified-tokens.js';

const NOW_S = 1_800_000_000;

function tokens(verifies: (kid: string) => boolean = () => true): VerifiedTokens {
  const keys = { stillVerifies: verifies } as unknown as KeysService;
  const config = { JWT_CLOCK_TOLERANCE_S: 30 } as unknown as IdentityConfig;
  return new VerifiedTokens(keys, config);
}

describe('VerifiedTokens', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });
  const at = (seconds: number) => jest.spyOn(Date, 'now').mockReturnValue(seconds * 1000);

  it('answers the claims of exactly the token remembered, and nothing for any other text', () => {
    at(NOW_S);
    const cache = tokens();
    const claims = { sub: 'c', exp: NOW_S + 900 };
    cache.remember('aaa.bbb.ccc', 'k1', claims);
    expect(cache.lookup('aaa.bbb.ccc')).toBe(claims);
    expect(cache.lookup('aaa.bbb.ccd')).toBeUndefined();
    expect(cache.lookup('aaa.bbb.cc')).toBeUndefined();
  });

  it('forgets a token once expired or before nbf, with the configured clock tolerance', () => {
    const cache = tokens();
    cache.remember('t1', 'k1', { exp: NOW_S, nbf: NOW_S - 900 });
    at(NOW_S + 29);
    expect(cache.lookup('t1')).toBeDefined();
    at(NOW_S + 30);
    expect(cache.lookup('t1')).toBeUndefined();
    cache.remember('t2', 'k1', { exp: NOW_S + 2000, nbf: NOW_S + 1000 });
    at(NOW_S + 969);
    expect(cache.lookup('t2')).toBeUndefined();
    cache.remember('t2', 'k1', { exp: NOW_S + 2000, nbf: NOW_S + 1000 });
    at(NOW_S + 970);
    expect(cache.lookup('t2')).toBeDefined();
  });

  it('forgets a token whose signing key no longer verifies', () => {
    at(NOW_S);
    let retired = false;
    const cache = tokens(() => !retired);
    cache.remember('t', 'k1', { exp: NOW_S + 900 });
    expect(cache.lookup('t')).toBeDefined();
    retired = true;
    expect(cache.lookup('t')).toBeUndefined();
    retired = false;
    expect(cache.lookup('t')).toBeUndefined(); // gone: it must be verified again in full
  });

  it('does not keep tokens without exp, and holds at most 10,000 (least recently used go first)', () => {
    at(NOW_S);
    const cache = tokens();
    cache.remember('no-exp', 'k1', { sub: 'x' });
    expect(cache.lookup('no-exp')).toBeUndefined();
    for (let i = 0; i < 10_000; i++) cache.remember(`t${i}`, 'k1', { exp: NOW_S + 900 });
    expect(cache.lookup('t0')).toBeDefined(); // used: now the most recent
    cache.remember('one-more', 'k1', { exp: NOW_S + 900 });
    expect(cache.lookup('t1')).toBeUndefined();
    expect(cache.lookup('t0')).toBeDefined();
    expect(cache.lookup('one-more')).toBeDefined();
  });
});
