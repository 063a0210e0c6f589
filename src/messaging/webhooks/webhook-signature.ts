import { createHmac, randomBytes } from 'node:crypto';

/**
 * Standard Webhooks (https://www.standardwebhooks.com): secrets are `whsec_` + base64 of the
 * key bytes; a delivery carries `webhook-id`, `webhook-timestamp` (unix seconds) and
 * `webhook-signature`, a space-separated list of `v1,<base64 HMAC-SHA256(key, id.timestamp.body)>`.
 */
export const SECRET_PREFIX = 'whsec_';

/** 32 random bytes: the HMAC key. */
export function newSecretKey(): Buffer {
  return randomBytes(32);
}

/** The secret as shown to the subscriber (once). */
export function formatSecret(key: Buffer): string {
  return `${SECRET_PREFIX}${key.toString('base64')}`;
}

/** `v1,<signature>` for one key. */
export function signV1(key: Buffer, id: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** The three headers of one delivery attempt, signed with every key still valid. */
export function signatureHeaders(
  keys: Buffer[],
  id: string,
  timestamp: number,
  body: string,
): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': keys.map((key) => signV1(key, id, timestamp, body)).join(' '),
  };
}
