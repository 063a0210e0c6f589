import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from '@jest/globals';
import { isWellFormedRequestId, requestIdFor } from '#src/platform/http/request-id.js';

const req = (id?: string | string[]): IncomingMessage =>
  ({ headers: id === undefined ? {} : { 'x-request-id': id } }) as unknown as IncomingMessage;

describe('request ids', () => {
  it.each(['0b8f6d2e-8a7e-4d39-9d0e-6f1c4e2b7a11', '01HV3J8Q9ZK6T2M', 'isp-42.trace:7', 'a'])(
    'keeps %s',
    (id) => {
      expect(isWellFormedRequestId(id)).toBe(true);
      expect(requestIdFor(req(id))).toBe(id);
    },
  );

  it.each(['', ' x', 'a b', 'x'.repeat(129), '../etc', 'é', '-leading'])('replaces %j', (id) => {
    expect(isWellFormedRequestId(id)).toBe(false);
    expect(requestIdFor(req(id))).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('replaces a repeated header (an array) and a missing one', () => {
    expect(requestIdFor(req(['a', 'b']))).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdFor(req())).toMatch(/^[0-9a-f-]{36}$/);
  });
});
