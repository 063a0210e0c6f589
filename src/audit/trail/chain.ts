import { createHash, sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson } from '#src/platform/json/index.js';

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
export const GENESIS_HASH: Buffer = Buffer.alloc(32);

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

/** An audit key's id: the RFC 7638 thumbprint of its Ed25519 public key as a JWK (RFC 8037). */
export function auditKeyId(publicKey: KeyObject): string {
  const { crv, kty, x } = publicKey.export({ format: 'jwk' });
  return createHash('sha256').update(canonicalJson({ crv, kty, x })).digest('base64url');
}

/** The `X-Audit-Checkpoint` header value: base64url of the signed checkpoint's JCS. */
export function encodeCheckpointHeader(checkpoint: SignedCheckpoint): string {
  return Buffer.from(canonicalJson(checkpoint)).toString('base64url');
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * A signed checkpoint from outside (an `X-Audit-Checkpoint` value, an export's manifest, a file
 * given to the offline verifier): its six fields checked and picked (nothing else is signed);
 * throws a TypeError when it is not one. The one parser of the verification endpoint, the
 * export verifier and its command. The signature is not checked here.
 */
export function parseCheckpoint(value: unknown): SignedCheckpoint {
  const c = (typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {}) as {
    [K in keyof SignedCheckpoint]?: unknown;
  };
  const { size, head, time, keyId, sig } = c;
  if (
    c.v !== CHAIN_FORMAT ||
    typeof size !== 'number' ||
    !Number.isSafeInteger(size) ||
    size < 0 ||
    typeof head !== 'string' ||
    !HEX64.test(head) ||
    typeof time !== 'string' ||
    typeof keyId !== 'string' ||
    typeof sig !== 'string'
  ) {
    throw new TypeError(
      'not a signed audit checkpoint: {v: 1, size, head (64 hex digits), time, keyId, sig}',
    );
  }
  return { v: CHAIN_FORMAT, size, head, time, keyId, sig };
}

/** The signed checkpoint of an `X-Audit-Checkpoint` value; throws when it holds none. */
export function decodeCheckpointHeader(value: string): SignedCheckpoint {
  return parseCheckpoint(JSON.parse(Buffer.from(value, 'base64url').toString('utf8')));
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

/** Where and how a chain stops being what it claims; `message` names the event. */
export interface ChainBreak {
  kind: 'gap' | 'order' | 'content' | 'link' | 'checkpoint' | 'truncated' | 'head';
  /** The first event (seq) that does not verify. */
  seq: number;
  message: string;
}

/**
 * Walks a chain (or a range of it, from the hash before its first event) one event at a time,
 * in seq order, and names the first break:
 * - `gap`: an event is missing (deleted);
 * - `order`: a seq repeats or goes backwards;
 * - `content`: the event's fields do not give its stored digest (edited);
 * - `link`: its stored hash is not SHA-256(previous hash ‖ digest) (rows swapped or relinked).
 * Events known only by digest (outside a filtered export) are passed without fields.
 */
export class ChainWalk {
  private previousHash: Buffer;
  private expected: number;

  constructor(previous: Buffer = GENESIS_HASH, firstSeq = 1) {
    this.previousHash = previous;
    this.expected = firstSeq;
  }

  /** The last seq walked (0 before the first). */
  get size(): number {
    return this.expected - 1;
  }

  /** The hash after the last event walked. */
  get head(): Buffer {
    return this.previousHash;
  }

  event(
    seq: number,
    fields: AuditEventFields | undefined,
    digest: Buffer,
    hash: Buffer,
  ): ChainBreak | undefined {
    if (seq > this.expected) {
      const missing =
        seq - this.expected === 1
          ? `event ${this.expected} is missing`
          : `events ${this.expected}–${seq - 1} are missing`;
      return {
        kind: 'gap',
        seq: this.expected,
        message: `${missing} (deleted?): the sequence jumps from ${this.expected - 1} to ${seq}`,
      };
    }
    if (seq < this.expected) {
      return {
        kind: 'order',
        seq,
        message: `event ${seq} appears again after event ${this.expected - 1}`,
      };
    }
    if (fields !== undefined && !eventDigest(fields).equals(digest)) {
      return {
        kind: 'content',
        seq,
        message: `event ${seq} was altered: its content does not match its digest`,
      };
    }
    const linked = chainHash(this.previousHash, digest);
    if (!linked.equals(hash)) {
      return {
        kind: 'link',
        seq,
        message: `event ${seq} does not follow event ${seq - 1}: its hash is not SHA-256(hash ${seq - 1} ‖ digest ${seq}) (events swapped, reordered or relinked)`,
      };
    }
    this.previousHash = linked;
    this.expected = seq + 1;
    return undefined;
  }

  /** Checks a signed checkpoint against the walk once it reached the checkpoint's size. */
  checkpoint(checkpoint: Checkpoint, hashAtSize: Buffer | undefined): ChainBreak | undefined {
    if (hashAtSize === undefined) {
      return {
        kind: 'truncated',
        seq: this.expected,
        message: `the chain ends at event ${this.expected - 1} but the checkpoint signed at ${checkpoint.time} covers ${checkpoint.size} events: events ${this.expected}–${checkpoint.size} are missing (truncated)`,
      };
    }
    if (hashAtSize.toString('hex') !== checkpoint.head) {
      return {
        kind: 'checkpoint',
        seq: checkpoint.size,
        message: `the hash at event ${checkpoint.size} differs from the head signed in the checkpoint of ${checkpoint.time}: events up to ${checkpoint.size} were rewritten`,
      };
    }
    return undefined;
  }
}
