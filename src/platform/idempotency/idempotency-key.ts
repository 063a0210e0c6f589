import { createHash } from 'node:crypto';
import { ProblemException, badRequest } from '#src/platform/problem/index.js';

/** The request header (draft-ietf-httpapi-idempotency-key-header §2). */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** Set on an answer that was replayed from the store instead of executed again. */
export const REPLAYED_HEADER = 'idempotent-replayed';

/** Problem types a client can switch on. */
export const IdempotencyProblem = {
  /** Same key, different request (draft §2.7: 422). */
  reused: 'urn:threat-exchange:problem:idempotency-key-reused',
  /** Same key while the first request is still being processed (draft §2.7: 409). */
  inFlight: 'urn:threat-exchange:problem:idempotency-key-in-flight',
  /** A malformed key, or a key on an operation that cannot honour it (400). */
  invalid: 'urn:threat-exchange:problem:idempotency-key-invalid',
} as const;

export const MAX_KEY_LENGTH = 255;
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

function invalidKey(detail: string): ProblemException {
  return badRequest(detail, { type: IdempotencyProblem.invalid, title: 'Invalid Idempotency-Key' });
}

/**
 * The key of an `Idempotency-Key` header: 1–255 visible ASCII characters. The draft defines
 * the field as a Structured Field String (`"8e03978e-…"`), many clients send the bare token:
 * both are accepted, and `"abc"` and `abc` are the same key. Anything else is a 400.
 */
export function parseIdempotencyKey(header: string | string[]): string {
  if (Array.isArray(header)) throw invalidKey('Send one Idempotency-Key header, not several');
  let key = header.trim();
  if (key.length >= 2 && key.startsWith('"') && key.endsWith('"')) {
    const inner = key.slice(1, -1);
    // sf-string escapes (RFC 8941 §3.3.3): only \" and \\.
    if (/\\(?!["\\])/.test(inner) || /(?<!\\)"/.test(inner.replace(/\\\\/g, ''))) {
      throw invalidKey('The Idempotency-Key is not a valid quoted string');
    }
    key = inner.replace(/\\(["\\])/g, '$1');
  }
  if (key.length === 0 || key.length > MAX_KEY_LENGTH || !VISIBLE_ASCII.test(key)) {
    throw invalidKey(
      `An Idempotency-Key is 1 to ${MAX_KEY_LENGTH} visible ASCII characters (a UUID is a good choice)`,
    );
  }
  return key;
}

/**
 * The request fingerprint: SHA-256 over the method, the path with its query as received, and
 * the body as parsed (JSON re-serialized: whitespace does not matter, member order does).
 */
export function requestFingerprint(method: string, url: string, body: unknown): Buffer {
  return createHash('sha256')
    .update(method.toUpperCase())
    .update('\n')
    .update(url)
    .update('\n')
    .update(body === undefined ? '' : JSON.stringify(body))
    .digest();
}
