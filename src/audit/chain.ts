import { createHash, sign, verify, type KeyObject } from 'node:crypto';

/**
 * The audit chain's format, shared by the service, the verification endpoint, the exports and
 * the offline verifier (docs/decisions/0012-audit-trail.md). Node built-ins only: the verifier
 * ships with no dependency for it.
 *
 *   digest(e) = SHA-256(JCS({v: 1, ...fields of e}))
 *   hash(n)   = SHA-256(hash(n − 1) ‖ digest(n)),   hash(0) = 32 zero bytes
 *
 * `seq` is dense from 1; it and `hash` are not part of the digest, so that an edited event, a
 * missing one and two swapped ones each break in a way of their own.
 */

export const CHAIN_FORMAT = 1;

/** hash(0): the link before the first event. */
export const GENESIS_HASH = Buffer.alloc(32);

/** The hashed fields of an event, exactly as stored and exported. */
export interface AuditEventFields {
  /** ISO 8601 UTC with milliseconds (`2026-11-28T10:00:00.000Z`). */
  at: string;
  actorType: 'user' | 'api_client' | 'system';
  actorId: string | null;
  organizationId: string | null;
  roles: string[];
  action: string;
  objectType: string;
  objectId: string | null;
  /** Plain JSON: strings, safe integers, booleans, null, arrays, objects. */
  summary: Record<string, unknown>;
  requestId: string | null;
  clientIp: string | null;
}

/** An event with its place in the chain. */
export interface ChainedEvent extends AuditEventFields {
  seq: number;
  /** hash(seq), lowercase hex. */
  hash: string;
}

/**
 * RFC 8785 (JSON Canonicalization Scheme): object keys sorted by UTF-16 code units, no
 * whitespace, numbers and strings as ECMAScript's JSON.stringify writes them (which is what
 * JCS specifies). Refuses what JSON cannot hold exactly.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') {
    return JSON.stringify(value);
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`JCS cannot represent ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
  }
  throw new TypeError(`JCS cannot represent a ${typeof value}`);
}

/** The exact bytes an event's digest is taken over. */
export function eventBytes(event: AuditEventFields): string {
  return canonicalJson({
    v: CHAIN_FORMAT,
    at: event.at,
    actorType: event.actorType,
    actorId: event.actorId,
    organizationId: event.organizationId,
    roles: event.roles,
    action: event.action,
    objectType: event.objectType,
    objectId: event.objectId,
    summary: event.summary,
    requestId: event.requestId,
    clientIp: event.clientIp,
  });
}

export function eventDigest(event: AuditEventFields): Buffer {
  return createHash('sha256').update(eventBytes(event)).digest();
}

export function chainHash(previous: Buffer, digest: Buffer): Buffer {
  return createHash('sha256').update(previous).update(digest).digest();
}

/** What a checkpoint states: the chain had `size` events and ended in `head` at `time`. */
export interface Checkpoint {
  v: typeof CHAIN_FORMAT;
  size: number;
  /** hash(size), lowercase hex. */
  head: string;
  /** ISO 8601 UTC with milliseconds. */
  time: string;
  /** Which audit key signed it (`GET /api/v1/audit/public-key`). */
  keyId: string;
}

export interface SignedCheckpoint extends Checkpoint {
  /** Ed25519 over canonicalJson(the checkpoint without `sig`), base64url. */
  sig: string;
}

function checkpointBytes(checkpoint: Checkpoint): Buffer {
  const { v, size, head, time, keyId } = checkpoint;
  return Buffer.from(canonicalJson({ v, size, head, time, keyId }));
}

export function signCheckpoint(checkpoint: Checkpoint, privateKey: KeyObject): SignedCheckpoint {
  const sig = sign(null, checkpointBytes(checkpoint), privateKey).toString('base64url');
  return { ...checkpoint, sig };
}

export function checkpointSignatureValid(
  checkpoint: SignedCheckpoint,
  publicKey: KeyObject,
): boolean {
  return verify(
    null,
    checkpointBytes(checkpoint),
    publicKey,
    Buffer.from(checkpoint.sig, 'base64url'),
  );
}

/** The `X-Audit-Checkpoint` header value: base64url of the signed checkpoint's JCS. */
export function encodeCheckpointHeader(checkpoint: SignedCheckpoint): string {
  return Buffer.from(canonicalJson(checkpoint)).toString('base64url');
}

export function decodeCheckpointHeader(value: string): SignedCheckpoint {
  return JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as SignedCheckpoint;
}

/** Signs any JSON document (an export manifest): Ed25519 over its JCS, base64url. */
export function signDocument(document: Record<string, unknown>, privateKey: KeyObject): string {
  return sign(null, Buffer.from(canonicalJson(document)), privateKey).toString('base64url');
}

export function documentSignatureValid(
  document: Record<string, unknown>,
  signature: string,
  publicKey: KeyObject,
): boolean {
  return verify(
    null,
    Buffer.from(canonicalJson(document)),
    publicKey,
    Buffer.from(signature, 'base64url'),
  );
}
