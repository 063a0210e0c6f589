import { describe, expect, it } from '@jest/globals';
import { parseBasic } from '#src/identity/auth/basic-auth.js';

const basic = (raw: string): string => `Basic ${Buffer.from(raw).toString('base64')}`;

describe('parseBasic', () => {
  it('is undefined without a header or with another scheme, null when malformed', () => {
    expect(parseBasic(undefined)).toBeUndefined();
    expect(parseBasic('Bearer abc')).toBeUndefined();
    expect(parseBasic('Basic')).toBeNull();
    expect(parseBasic('Basic !!!')).toBeNull();
    expect(parseBasic(basic('no-colon'))).toBeNull();
  });

  it('splits at the first colon', () => {
    expect(parseBasic(basic('isp-a:se:cr:et'), 'plain')).toEqual({
      id: 'isp-a',
      secret: 'se:cr:et',
    });
  });

  it('decodes the OAuth form (RFC 6749 §2.3.1) by default, and leaves plain Basic (RFC 7617) as sent', () => {
    expect(parseBasic(basic('isp%2Da:a+b%25'))).toEqual({ id: 'isp-a', secret: 'a b%' });
    expect(parseBasic(basic('isp%2Da:a+b%25'), 'plain')).toEqual({
      id: 'isp%2Da',
      secret: 'a+b%25',
    });
    expect(parseBasic(basic('x:%E0%A4%A'))).toBeNull();
    expect(parseBasic(basic('x:%E0%A4%A'), 'plain')).toEqual({ id: 'x', secret: '%E0%A4%A' });
  });
});
