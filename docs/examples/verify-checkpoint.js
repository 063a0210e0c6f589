// Verifies a threat-exchange audit checkpoint (the X-Audit-Checkpoint response header).
// Node.js 20+, standard library only. The test suite imports this very file
// (test/e2e/audit-checkpoints.e2e-spec.ts), so the documented code is the tested code.
import { Buffer } from 'node:buffer';
import { createPublicKey, verify } from 'node:crypto';

/**
 * @param {string} header  the X-Audit-Checkpoint value as received
 * @param {{ keyId: string, pem: string }[]} keys  `keys` of GET /api/v1/audit/public-key
 * @returns {{ v: 1, size: number, head: string, time: string, keyId: string, sig: string }}
 * @throws {Error} when the value is not a checkpoint, its key is unknown or its signature is wrong
 */
export function verifyCheckpoint(header, keys) {
  const checkpoint = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
  const { v, size, head, time, keyId, sig } = checkpoint;
  if (
    v !== 1 ||
    !Number.isSafeInteger(size) ||
    size < 0 ||
    !/^[0-9a-f]{64}$/.test(head) ||
    typeof time !== 'string' ||
    typeof keyId !== 'string' ||
    typeof sig !== 'string'
  ) {
    throw new Error('not a version 1 audit checkpoint');
  }
  const key = keys.find((k) => k.keyId === keyId);
  if (!key) throw new Error(`unknown audit key ${keyId}: fetch /api/v1/audit/public-key again`);
  // The signed bytes: RFC 8785 canonical JSON of the five fields, i.e. keys in this order, no
  // spaces (JSON.stringify writes these strings and integers exactly as RFC 8785 does).
  const signed = Buffer.from(JSON.stringify({ head, keyId, size, time, v }), 'utf8');
  if (!verify(null, signed, createPublicKey(key.pem), Buffer.from(sig, 'base64url'))) {
    throw new Error('the checkpoint signature does not verify');
  }
  return checkpoint;
}

/**
 * Two verified checkpoints of the same size with different heads: proof, signed by the
 * Department's key, that the audit trail was rewritten. Keep both and report them.
 */
export function contradict(a, b) {
  return a.size === b.size && a.head !== b.head;
}
