import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AuditEventFields, SignedCheckpoint } from '#src/audit/trail/chain.js';
import { checkpointFromRow, type CheckpointRow } from '#src/audit/trail/checkpoint-signer.js';
import {
  auditEventSelect,
  chainTime,
  eventFields,
  type AuditEventRow,
} from '#src/audit/trail/event-columns.js';

/** An event as stored: its fields, place, digest and hash. */
export interface StoredEvent {
  seq: number;
  fields: AuditEventFields;
  digest: Buffer;
  hash: Buffer;
}

/** Reads the chain for verification; never writes. */
@Injectable()
export class AuditChainRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Events with seq in (afterSeq, lastSeq], in seq order, at most `limit`. */
  async events(afterSeq: number, lastSeq: number, limit: number): Promise<StoredEvent[]> {
    const rows = await this.dataSource.query<AuditEventRow[]>(
      `SELECT ${auditEventSelect('e')}
         FROM audit_events e
        WHERE e.seq > $1 AND e.seq <= $2
        ORDER BY e.seq
        LIMIT $3`,
      [afterSeq, lastSeq, limit],
    );
    return rows.map((r) => ({
      seq: Number(r.seq),
      fields: eventFields(r, chainTime(r.at_micros)),
      digest: r.digest,
      hash: r.hash,
    }));
  }

  /** The stored hash of one event (a range's anchor), if that event exists. */
  async hashAt(seq: number): Promise<Buffer | undefined> {
    const [row] = await this.dataSource.query<{ hash: Buffer }[]>(
      `SELECT hash FROM audit_events WHERE seq = $1`,
      [seq],
    );
    return row?.hash;
  }

  /** What the head row says, and the highest seq actually stored. */
  async head(): Promise<{ seq: number; hash: Buffer; maxSeq: number }> {
    const [row] = await this.dataSource.query<{ seq: string; hash: Buffer; max_seq: string }[]>(
      `SELECT h.seq::text AS seq, h.hash,
              coalesce((SELECT max(seq) FROM audit_events), 0)::text AS max_seq
         FROM audit_head h`,
    );
    if (row === undefined) throw new Error('audit_head is missing: run the migrations');
    return { seq: Number(row.seq), hash: row.hash, maxSeq: Number(row.max_seq) };
  }

  /** Checkpoints whose size lies in [fromSeq, toSeq], by size. */
  async checkpoints(
    fromSeq: number,
    toSeq: number,
  ): Promise<(SignedCheckpoint & { id: string })[]> {
    const rows = await this.dataSource.query<CheckpointRow[]>(
      `SELECT c.* FROM audit_checkpoints c
        WHERE c.size >= $1 AND c.size <= $2
        ORDER BY c.size, c.id`,
      [fromSeq, toSeq],
    );
    return rows.map((r) => ({ id: r.id, ...checkpointFromRow(r) }));
  }

  /** The checkpoint with the largest size, which a truncation would leave behind. */
  async largestCheckpoint(): Promise<(SignedCheckpoint & { id: string }) | undefined> {
    const [row] = await this.dataSource.query<{ size: string }[]>(
      `SELECT c.size::text AS size FROM audit_checkpoints c ORDER BY c.size DESC, c.id DESC LIMIT 1`,
    );
    if (row === undefined) return undefined;
    const size = Number(row.size);
    return (await this.checkpoints(size, size))[0];
  }
}
