import { Injectable } from '@nestjs/common';
import { notFound } from '#src/platform/problem/index.js';
import type {
  AuditPublicKeysResponse,
  CheckpointPage,
  CheckpointResponse,
} from '#src/audit/checkpoints/dto/audit-checkpoints.dto.js';
import { AuditKeysService } from '#src/audit/trail/audit-keys.service.js';
import { encodeCheckpointHeader } from '#src/audit/trail/chain.js';
import { CheckpointSigner, type StoredCheckpoint } from '#src/audit/trail/checkpoint-signer.js';
import {
  CursorCodec,
  cursorPart,
  DEFAULT_PAGE_SIZE,
  pageOf,
  type PageQuery,
} from '#src/platform/pagination/index.js';

/** The cursor of a checkpoint page: `["<id>"]`, the last row's id (newest first, by id). */
export const CHECKPOINT_CURSOR = new CursorCodec<{ id: string }>({ id: cursorPart.bigintId });

function toResponse(c: StoredCheckpoint): CheckpointResponse {
  const { id, reason, ...signed } = c;
  return {
    id,
    v: signed.v,
    size: signed.size,
    head: signed.head,
    time: signed.time,
    keyId: signed.keyId,
    sig: signed.sig,
    reason,
    header: encodeCheckpointHeader(signed),
  };
}

/**
 * The public side of the signed checkpoints: the keys that verify them (anyone), the stored
 * checkpoints (auditors, admins and ISPs, who compare them with the headers they kept), the
 * newest one. Reads only: checkpoints are made by CheckpointSigner.
 */
@Injectable()
export class CheckpointReader {
  constructor(
    private readonly checkpoints: CheckpointSigner,
    private readonly keys: AuditKeysService,
  ) {}

  /** Every audit key, the signing one first; or only `keyId` (404 if it is not ours). */
  async publicKeys(keyId?: string): Promise<AuditPublicKeysResponse> {
    let keys = await this.keys.publicKeys();
    if (keyId !== undefined) {
      keys = keys.filter((k) => k.keyId === keyId);
      if (keys.length === 0) throw notFound('audit key');
    }
    return {
      keys: keys.map((k) => ({
        keyId: k.keyId,
        alg: 'Ed25519',
        pem: k.pem,
        jwk: k.jwk,
        createdAt: k.createdAt,
        retiredAt: k.retiredAt,
      })),
    };
  }

  /** Newest first (by id), keyset pages on the id. */
  async list(query: PageQuery): Promise<CheckpointPage> {
    const before = CHECKPOINT_CURSOR.decode(query.cursor)?.id;
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.checkpoints.list(limit + 1, before);
    return pageOf(rows, limit, toResponse, (last) => CHECKPOINT_CURSOR.encode(last));
  }

  /** The newest stored checkpoint (the first of the list); makes none. */
  async latest(): Promise<CheckpointResponse> {
    const [newest] = await this.checkpoints.list(1);
    if (newest === undefined) throw notFound('audit checkpoint yet');
    return toResponse(newest);
  }
}
