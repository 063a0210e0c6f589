import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  auditKeyId,
  chainHash,
  ChainWalk,
  checkpointSignatureValid,
  decodeCheckpointHeader,
  encodeCheckpointHeader,
  eventBytes,
  eventDigest,
  GENESIS_HASH,
  parseCheckpoint,
  signCheckpoint,
  type AuditEventFields,
} from '#src/audit/trail/chain.js';

const event = (i: number): AuditEventFields => ({
  at: new Date(Date.UTC(2026, 10, 28, 10, 0, 0, i)).toISOString(),
  actorType: 'user',
  actorId: '3f0c4b8e-8a43-4c5e-9d59-1b2f3a4c5d6e',
  organizationId: null,
  roles: ['analyst'],
  action: 'indicator.create',
  objectType: 'indicator',
  objectId: String(i),
  summary: { value: `tên-miền-${i}.vn`, n: i },
  requestId: `req-${i}`,
  clientIp: '192.0.2.1',
});

function chain(n: number) {
  let previous = GENESIS_HASH;
  return Array.from({ length: n }, (_, k) => {
    const fields = event(k + 1);
    const digest = eventDigest(fields);
    previous = chainHash(previous, digest);
    return { seq: k + 1, fields, digest, hash: previous };
  });
}

describe('eventBytes', () => {
  it('hashes the event fields with v:1 and nothing else', () => {
    expect(JSON.parse(eventBytes(event(1)))).toEqual({ v: 1, ...event(1) });
    expect(eventBytes({ ...event(1), seq: 9, hash: 'x' } as AuditEventFields)).toBe(
      eventBytes(event(1)),
    );
  });
});

describe('auditKeyId', () => {
  it('is the RFC 7638 thumbprint of the Ed25519 JWK (the vector of RFC 8037, A.3)', () => {
    const publicKey = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' },
      format: 'jwk',
    });
    expect(auditKeyId(publicKey)).toBe('kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
  });
});

describe('ChainWalk', () => {
  it('walks a good chain and ends at its head', () => {
    const events = chain(20);
    const walk = new ChainWalk();
    for (const e of events) expect(walk.event(e.seq, e.fields, e.digest, e.hash)).toBeUndefined();
    expect(walk.size).toBe(20);
    expect(walk.head.equals(events[19].hash)).toBe(true);
  });

  it('walks a range from its anchor, and events known only by digest', () => {
    const events = chain(10);
    const walk = new ChainWalk(events[3].hash, 5);
    for (const e of events.slice(4)) {
      expect(walk.event(e.seq, e.seq % 2 ? e.fields : undefined, e.digest, e.hash)).toBeUndefined();
    }
    expect(walk.size).toBe(10);
  });

  it('names each kind of break at its event', () => {
    const events = chain(6);
    const run = (mutate: (list: typeof events) => typeof events) => {
      const walk = new ChainWalk();
      for (const e of mutate(events.map((x) => ({ ...x, fields: { ...x.fields } })))) {
        const broken = walk.event(e.seq, e.fields, e.digest, e.hash);
        if (broken) return broken;
      }
      return undefined;
    };
    expect(run((l) => l.filter((e) => e.seq !== 3))).toMatchObject({ kind: 'gap', seq: 3 });
    expect(run((l) => [...l.slice(0, 3), l[2], ...l.slice(3)])).toMatchObject({
      kind: 'order',
      seq: 3,
    });
    expect(
      run((l) => {
        l[3].fields.summary = { value: 'other.vn' };
        return l;
      }),
    ).toMatchObject({ kind: 'content', seq: 4 });
    expect(
      run((l) => [l[0], { ...l[2], seq: 2 }, { ...l[1], seq: 3 }, ...l.slice(3)]),
    ).toMatchObject({ kind: 'link', seq: 2 });
  });

  it('checks a checkpoint against the hash at its size, and a truncated chain', () => {
    const events = chain(5);
    const walk = new ChainWalk();
    for (const e of events) walk.event(e.seq, e.fields, e.digest, e.hash);
    const cp = { v: 1 as const, size: 5, head: walk.head.toString('hex'), time: 't', keyId: 'k' };
    expect(walk.checkpoint(cp, walk.head)).toBeUndefined();
    expect(walk.checkpoint(cp, events[0].hash)).toMatchObject({ kind: 'checkpoint', seq: 5 });
    expect(walk.checkpoint({ ...cp, size: 7 }, undefined)).toMatchObject({
      kind: 'truncated',
      seq: 6,
      message:
        'the chain ends at event 5 but the checkpoint signed at t covers 7 events: events 6–7 are missing (truncated)',
    });
  });
});

describe('checkpoints', () => {
  it('signs and verifies over size, head and time; any change or another key fails', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const other = generateKeyPairSync('ed25519').publicKey;
    const signed = signCheckpoint(
      { v: 1, size: 42, head: 'ab'.repeat(32), time: '2026-11-28T10:00:00.000Z', keyId: 'k1' },
      privateKey,
    );
    expect(checkpointSignatureValid(signed, publicKey)).toBe(true);
    expect(checkpointSignatureValid(signed, other)).toBe(false);
    for (const change of [
      { size: 43 },
      { head: 'cd'.repeat(32) },
      { time: 'x' },
      { keyId: 'k2' },
    ]) {
      expect(checkpointSignatureValid({ ...signed, ...change }, publicKey)).toBe(false);
    }
    const header = encodeCheckpointHeader(signed);
    expect(header).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCheckpointHeader(header)).toEqual(signed);
  });

  describe('parseCheckpoint', () => {
    const signed = {
      v: 1 as const,
      size: 0,
      head: '0'.repeat(64),
      time: '2026-11-28T10:00:00.000Z',
      keyId: 'k1',
      sig: 'c2ln',
    };

    it('picks the six signed fields of a checkpoint, and nothing else', () => {
      expect(parseCheckpoint({ ...signed, id: '7', reason: 'interval' })).toEqual(signed);
      const header = Buffer.from(JSON.stringify({ ...signed, extra: true })).toString('base64url');
      expect(decodeCheckpointHeader(header)).toEqual(signed);
    });

    it.each([
      ['null', null],
      ['an array', [signed]],
      ['a string', 'checkpoint'],
      ['another format', { ...signed, v: 2 }],
      ['a size as text', { ...signed, size: '0' }],
      ['a negative size', { ...signed, size: -1 }],
      ['a fractional size', { ...signed, size: 1.5 }],
      ['an unsafe size', { ...signed, size: 2 ** 53 }],
      ['a head in uppercase', { ...signed, head: 'A'.repeat(64) }],
      ['a short head', { ...signed, head: '0'.repeat(63) }],
      ['no time', { ...signed, time: undefined }],
      ['no key id', { ...signed, keyId: 1 }],
      ['no signature', { ...signed, sig: null }],
    ])('refuses %s', (_, value) => {
      expect(() => parseCheckpoint(value)).toThrow(TypeError);
    });

    it('refuses a header that is not base64url JSON', () => {
      expect(() => decodeCheckpointHeader('bm90IGpzb24')).toThrow();
      expect(() => decodeCheckpointHeader(Buffer.from('[]').toString('base64url'))).toThrow(
        TypeError,
      );
    });
  });
});
