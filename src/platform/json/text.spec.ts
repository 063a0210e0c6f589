import { describe, expect, it } from '@jest/globals';
import { isStorableText, storableText, unstorableTextAt } from '#src/platform/json/text.js';

describe('storable text', () => {
  it('refuses NUL and unpaired surrogates, accepts pairs', () => {
    expect(isStorableText('ok 😀 tiếng Việt')).toBe(true);
    expect(isStorableText('a\u0000b')).toBe(false);
    expect(isStorableText('\uD800')).toBe(false);
    expect(isStorableText('x\uDC00')).toBe(false);
  });

  it('names the first unstorable string of a body, keys included, at any depth', () => {
    expect(unstorableTextAt({ a: 'x', items: [{ value: 'ok' }, { value: 'b\u0000' }] })).toBe(
      'items[1].value',
    );
    expect(unstorableTextAt({ ['k\uD800']: 1 })).toBe('k\uD800');
    expect(unstorableTextAt('\uDFFF')).toBe('(body)');
    expect(unstorableTextAt({ a: [1, true, null, 'fine'] })).toBeUndefined();
    let deep: unknown = 'x\u0000';
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(unstorableTextAt(deep)).toMatch(/^\[0\]/);
  });

  it('cuts without splitting a surrogate pair and replaces what cannot be stored', () => {
    const emoji = '😀'.repeat(150); // 300 UTF-16 units
    const cut = storableText(emoji, 200);
    expect(cut.length).toBeLessThanOrEqual(200);
    expect(cut.isWellFormed()).toBe(true);
    expect(cut.endsWith('…')).toBe(true);
    expect(storableText('a\u0000\uD800b', 10)).toBe('a\uFFFD\uFFFDb');
    expect(storableText('short', 200)).toBe('short');
  });
});
