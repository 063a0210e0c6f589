import { performance } from 'node:perf_hooks';
import type { KeyObject } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AuditKeysService } from '#src/audit/trail/audit-keys.service.js';
import { AuditSealer } from '#src/audit/trail/audit-sealer.js';
import {
  ChainWalk,
  checkpointSignatureValid,
  decodeCheckpointHeader,
  GENESIS_HASH,
  type ChainBreak,
  type SignedCheckpoint,
} from '#src/audit/trail/chain.js';
import { AuditChainRepository } from '#src/audit/verification/audit-chain.repository.js';
import type {
  AuditVerification,
  AuditVerifyQuery,
} from '#src/audit/verification/dto/audit-verify.dto.js';
import { validationProblem } from '#src/platform/problem/index.js';

/** Events read per query while walking; the next batch is read while one is walked. */
const BATCH = 5000;
/**
 * Events walked between two turns of the event loop (about 40 ms of hashing): other requests
 * are served meanwhile.
 */
const YIELD_EVERY = 1000;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Verifies the stored chain, whole or a range: recomputes every event's digest from its fields
 * and every link from the previous hash, checks each signed checkpoint in the range (its
 * signature, and the hash at its size against its head) and that the head row and the largest
 * checkpoint agree with where the chain ends. Stops at the first break and names it.
 */
@Injectable()
export class AuditVerifyService {
  constructor(
    private readonly chain: AuditChainRepository,
    private readonly keys: AuditKeysService,
    private readonly sealer: AuditSealer,
  ) {}

  async verify(query: AuditVerifyQuery): Promise<AuditVerification> {
    const started = performance.now();
    const held = query.checkpoint === undefined ? undefined : this.heldCheckpoint(query.checkpoint);
    // Everything committed before the request is in the chain verified.
    await this.sealer.flush();
    // The largest checkpoint first: the head only grows, so a checkpoint that another instance
    // signs meanwhile (after sealing more) cannot end up beyond the head read here.
    const largest = await this.chain.largestCheckpoint();
    const head = await this.chain.head();
    const end = Math.max(head.seq, head.maxSeq, largest?.size ?? 0, held?.size ?? 0);
    const fromSeq = query.fromSeq ?? 1;
    const toSeq = query.toSeq ?? end;
    if (toSeq > end) {
      throw validationProblem([
        { name: 'toSeq', reason: `toSeq is beyond the end of the chain (${end})` },
      ]);
    }
    if (fromSeq > Math.max(toSeq, 1)) {
      throw validationProblem([{ name: 'fromSeq', reason: 'fromSeq must not exceed toSeq' }]);
    }
    const whole = query.fromSeq === undefined && query.toSeq === undefined;
    const anchor = fromSeq === 1 ? GENESIS_HASH : await this.chain.hashAt(fromSeq - 1);
    const result = (firstBreak: ChainBreak | null, walk: ChainWalk, checked: number) => ({
      valid: firstBreak === null,
      fromSeq,
      toSeq,
      verifiedThrough: walk.size,
      events: walk.size - fromSeq + 1,
      checkpointsChecked: checked,
      head: { seq: head.seq, hash: head.hash.toString('hex') },
      firstBreak,
      durationMs: Math.round(performance.now() - started),
    });
    if (anchor === undefined) {
      const walk = new ChainWalk(GENESIS_HASH, fromSeq);
      return result(
        {
          kind: 'gap',
          seq: fromSeq - 1,
          message: `event ${fromSeq - 1}, the one before the range, is missing: the range has no anchor`,
        },
        walk,
        0,
      );
    }
    const walk = new ChainWalk(anchor, fromSeq);
    const checkpoints = await this.chain.checkpoints(fromSeq - 1, toSeq);
    if (held !== undefined && held.size >= fromSeq - 1 && held.size <= toSeq) {
      checkpoints.push(held);
      checkpoints.sort((a, b) => a.size - b.size);
    }
    let next = 0;
    let checked = 0;
    const keyCache = new Map<string, KeyObject | undefined>();
    const checkCheckpoints = async (upTo: number): Promise<ChainBreak | undefined> => {
      while (next < checkpoints.length && checkpoints[next].size <= upTo) {
        const cp = checkpoints[next++];
        const broken = await this.checkpoint(cp, walk, keyCache);
        checked += 1;
        if (broken) return broken;
      }
      return undefined;
    };
    let broken = await checkCheckpoints(fromSeq - 1);
    const read = (afterSeq: number) => {
      const batch = this.chain.events(afterSeq, toSeq, BATCH);
      batch.catch(() => undefined); // awaited below, unless a break ends the walk first
      return batch;
    };
    let after = fromSeq - 1;
    let reading = read(after);
    while (!broken && after < toSeq) {
      const batch = await reading;
      if (batch.length === 0) break;
      after = batch[batch.length - 1].seq;
      reading = after < toSeq ? read(after) : Promise.resolve([]);
      for (let i = 0; i < batch.length; i++) {
        if (i > 0 && i % YIELD_EVERY === 0) await nextTurn();
        const event = batch[i];
        broken = walk.event(event.seq, event.fields, event.digest, event.hash);
        if (broken) break;
        broken = await checkCheckpoints(event.seq);
        if (broken) break;
      }
    }
    if (!broken && walk.size < toSeq) {
      const beyond =
        checkpoints[next] ?? (largest && largest.size > walk.size ? largest : undefined);
      broken =
        beyond === undefined
          ? {
              kind: 'truncated',
              seq: walk.size + 1,
              message: `the chain ends at event ${walk.size} but the head says ${head.seq}: events ${walk.size + 1}–${toSeq} are missing (truncated)`,
            }
          : walk.checkpoint(beyond, undefined)!;
    }
    if (!broken && whole && (head.seq !== walk.size || !head.hash.equals(walk.head))) {
      broken = {
        kind: 'head',
        seq: walk.size,
        message: `the head row (event ${head.seq}) does not match the chain's end (event ${walk.size}): it was moved by hand`,
      };
    }
    return result(broken ?? null, walk, checked);
  }

  private heldCheckpoint(value: string): SignedCheckpoint & { id: string } {
    try {
      return { ...decodeCheckpointHeader(value), id: 'given in the request' };
    } catch {
      throw validationProblem([
        { name: 'checkpoint', reason: 'checkpoint is not an X-Audit-Checkpoint value' },
      ]);
    }
  }

  private async checkpoint(
    cp: SignedCheckpoint & { id: string },
    walk: ChainWalk,
    keyCache: Map<string, KeyObject | undefined>,
  ): Promise<ChainBreak | undefined> {
    if (!keyCache.has(cp.keyId)) keyCache.set(cp.keyId, await this.keys.publicKey(cp.keyId));
    const key = keyCache.get(cp.keyId);
    if (key === undefined || !checkpointSignatureValid(cp, key)) {
      return {
        kind: 'checkpoint',
        seq: cp.size,
        message: `checkpoint ${cp.id} (size ${cp.size}, ${cp.time}) does not carry a valid signature of an audit key: it was forged or altered`,
      };
    }
    return walk.checkpoint(cp, walk.size === cp.size ? walk.head : undefined);
  }
}
