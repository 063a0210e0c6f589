import { describe, expect, it } from '@jest/globals';
import { jsonNestedDeeperThan } from '#src/platform/http/body-parsing.js';

describe('jsonNestedDeeperThan', () => {
  it('counts arrays and objects opened inside one another', () => {
    expect(jsonNestedDeeperThan('{"a":[{"b":[]}]}', 4)).toBe(false);
    expect(jsonNestedDeeperThan('{"a":[{"b":[[]]}]}', 4)).toBe(true);
    expect(jsonNestedDeeperThan('[' + '[]'.repeat(1000) + ']', 2)).toBe(false);
  });

  it('skips brackets inside strings, escaped quotes included', () => {
    expect(jsonNestedDeeperThan('{"a":"[[[[{{{{"}', 1)).toBe(false);
    expect(jsonNestedDeeperThan('["\\"[[[[", "\\\\"]', 1)).toBe(false);
    expect(jsonNestedDeeperThan('["\\\\", [[]]]', 2)).toBe(true);
  });
});
