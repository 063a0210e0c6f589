import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loginClientIp } from '#test/support/requests.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

/**
 * TRUST_PROXY_CIDRS: behind a reverse proxy the client's address comes from X-Forwarded-For,
 * believed only from the configured proxies (here the test client's loopback connection).
 * Without it (every other test app) the header is ignored: see hostile-input.e2e-spec.ts.
 */
describe('behind a trusted reverse proxy', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      env: { TRUST_PROXY_CIDRS: '127.0.0.0/8, ::1/128, ::ffff:127.0.0.0/104' },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('records and limits the address the proxy forwarded, not the proxy’s', async () => {
    // The rightmost address not of a trusted proxy: the one the proxy itself saw.
    expect(await loginClientIp(t, { 'x-forwarded-for': '198.51.100.7, 203.0.113.9' })).toBe(
      '203.0.113.9',
    );
  });
});
