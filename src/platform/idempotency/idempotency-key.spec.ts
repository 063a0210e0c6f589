import { describe, expect, it } from '@jest/globals';
import {
  parseIdempotencyKey,
  requestFingerprint,
} from '#src/platform/idempotency/idempotency-key.js';

describe('parseIdempotencyKey', () => {
  it('accepts 1–255 visible ASCII characters, bare or as a quoted sf-string', () => {
    expect(parseIdempotencyKey('8e03978e-40d5-43e8-bc93-6894a57f9324')).toBe(
      '8e03978e-40d5-43e8-bc93-6894a57f9324',
    );
    expect(parseIdempotencyKey('"8e03978e"')).toBe('8e03978e');
    expect(parseIdempotencyKey('"a\\"b"')).toBe('a"b');
    expect(parseIdempotencyKey('k'.repeat(255))).toHaveLength(255);
    expect(parseIdempotencyKey('x')).toBe('x');
  });

  it.each([[''], ['""'], ['k'.repeat(256)], ['a b'], ['é'], ['"a"b"'], ['"a\\b"'], ['\u0000']])(
    'refuses %j with 400',
    (raw) => {
      expect(() => parseIdempotencyKey(raw)).toThrow(expect.objectContaining({ status: 400 }));
    },
  );

  it('refuses several headers', () => {
    expect(() => parseIdempotencyKey(['a', 'b'])).toThrow();
  });
});

describe('requestFingerprint', () => {
  const base = requestFingerprint('POST', '/api/v1/x', { a: 1, b: [2] });
  it('is the same for the same method, path, query and parsed body', () => {
    expect(requestFingerprint('post', '/api/v1/x', JSON.parse('{ "a": 1, "b": [ 2 ] }'))).toEqual(
      base,
    );
  });
  it('differs when any of them differs', () => {
    expect(requestFingerprint('POST', '/api/v1/y', { a: 1, b: [2] })).not.toEqual(base);
    expect(requestFingerprint('POST', '/api/v1/x?q=1', { a: 1, b: [2] })).not.toEqual(base);
    expect(requestFingerprint('POST', '/api/v1/x', { a: 2, b: [2] })).not.toEqual(base);
    expect(requestFingerprint('POST', '/api/v1/x', undefined)).not.toEqual(base);
  });
});
