import { describe, expect, it } from '@jest/globals';
import { canonicalJson } from '#src/platform/json/canonical-json.js';

describe('canonicalJson (RFC 8785)', () => {
  it('writes the RFC’s example exactly (numbers, escapes, literals, key order)', () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",' +
        ' "literals": [null, true, false]}',
    ) as unknown;
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts keys by UTF-16 code units (RFC 8785 §3.2.3)', () => {
    const input = JSON.parse(
      '{"\\u20ac":"Euro Sign","\\r":"Carriage Return","\\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\\ud83d\\ude00":"Emoji: Grinning Face","\\u0080":"Control","\\u00f6":"Latin Small Letter O With Diaeresis"}',
    ) as Record<string, string>;
    // (Not re-parsed: JSON.parse would put the integer-like key "1" first again.)
    const order = ['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33'];
    expect(canonicalJson(input)).toBe(
      `{${order.map((k) => `${JSON.stringify(k)}:${JSON.stringify(input[k])}`).join(',')}}`,
    );
  });

  it('refuses what JSON cannot hold exactly', () => {
    for (const bad of [NaN, Infinity, 1n, new Date(0), () => 1, Symbol('x')]) {
      expect(() => canonicalJson({ a: bad })).toThrow(TypeError);
    }
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
  });
});
