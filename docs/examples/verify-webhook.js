// Verifies a threat-exchange webhook (Standard Webhooks, https://www.standardwebhooks.com).
// Node.js 20+, standard library only. The test suite imports this very file
// (test/e2e/webhooks.e2e-spec.ts), so the documented code is the tested code.
import { Buffer } from 'node:buffer';
import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * @param {string} secret   the subscription's secret, "whsec_…"
 * @param {Record<string, string | string[] | undefined>} headers  the request headers (lower-case names)
 * @param {Buffer | string} rawBody  the body exactly as received: verify BEFORE parsing JSON
 * @param {{ toleranceSeconds?: number, now?: number }} [options]  now in milliseconds
 * @returns {{ id: string, event: { type: string, timestamp: string, data: object } }}
 * @throws {Error} when a header is missing, the timestamp is too old or too new, or no signature matches
 */
export function verifyWebhook(secret, headers, rawBody, options = {}) {
  const { toleranceSeconds = 300, now = Date.now() } = options;
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') {
    throw new Error('missing webhook-id, webhook-timestamp or webhook-signature');
  }
  // Replay protection: refuse messages signed too long ago (or in the future).
  if (!/^\d+$/.test(timestamp) || Math.abs(now / 1000 - Number(timestamp)) > toleranceSeconds) {
    throw new Error('webhook-timestamp is outside the tolerance');
  }
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key)
    .update(`${id}.${timestamp}.`)
    .update(typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody)
    .digest();
  // Space-separated "v1,<base64>" entries: two while a rotated secret is in its overlap.
  for (const entry of signatures.split(' ')) {
    const [version, signature] = entry.split(',');
    if (version !== 'v1' || !signature) continue;
    const given = Buffer.from(signature, 'base64');
    if (given.length === expected.length && timingSafeEqual(given, expected)) {
      const event = JSON.parse(Buffer.from(rawBody).toString('utf8'));
      return { id, event };
    }
  }
  throw new Error('no valid signature');
}
