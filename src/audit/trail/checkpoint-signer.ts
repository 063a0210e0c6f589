import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditKeysService } from '#src/audit/trail/audit-keys.service.js';
import { AuditSealer } from '#src/audit/trail/audit-sealer.js';
import {
  CHAIN_FORMAT,
  encodeCheckpointHeader,
  signCheckpoint,
  type SignedCheckpoint,
} from '#src/audit/trail/chain.js';
import { Clock } from '#src/platform/clock/index.js';
import { PeriodicRun } from '#src/platform/jobs/index.js';
import { AuditConfig } from '#src/audit/audit.config.js';

export type CheckpointReason = 'interval' | 'export' | 'verify';

/** A row of `audit_checkpoints` (`SELECT *`), as every reader of the table takes it. */
export interface CheckpointRow {
  id: string;
  size: string;
  head: Buffer;
  time: Date;
  key_id: string;
  signature: Buffer;
  reason: CheckpointReason;
}

/** A stored checkpoint: the signed statement, its row id and why it was made. */
export interface StoredCheckpoint extends SignedCheckpoint {
  id: string;
  reason: CheckpointReason;
}

/** The signed statement a checkpoint row holds. */
export function checkpointFromRow(row: CheckpointRow): SignedCheckpoint {
  return {
    v: CHAIN_FORMAT,
    size: Number(row.size),
    head: row.head.toString('hex'),
    time: row.time.toISOString(),
    keyId: row.key_id,
    sig: row.signature.toString('base64url'),
  };
}

/** The checkpoint of the longest chain (the newest of those): what feed responses carry. */
const NEWEST_SQL = `SELECT * FROM "audit_checkpoints" ORDER BY "size" DESC, "id" DESC LIMIT 1`;

/** Arbitrary constant key of the lock that keeps instances from checkpointing the same head. */
const CHECKPOINT_LOCK = 7_340_213_008;

/**
 * Signed checkpoints (Ed25519 over size, head hash and time): one every
 * AUDIT_CHECKPOINT_INTERVAL_S when the chain grew (and at start), and one on every export. The
 * latest is kept in memory for the `X-Audit-Checkpoint` header of feed responses, so ISPs hold
 * copies the Department cannot take back.
 *
 * Several instances: each tick takes one advisory lock and signs the head only if no checkpoint
 * covers it yet, so instances do not sign the same head twice; an instance whose tick finds the
 * head covered (by another instance, or by an export) serves that checkpoint from then on.
 * With the interval at 0 no checkpoint is made but on demand; the start only reads the newest.
 */
@Injectable()
export class CheckpointSigner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CheckpointSigner.name);
  private readonly job = new PeriodicRun('audit checkpoint', this.logger);
  private newest?: { checkpoint: SignedCheckpoint; header: string };

  constructor(
    private readonly dataSource: DataSource,
    private readonly keys: AuditKeysService,
    private readonly sealer: AuditSealer,
    private readonly clock: Clock,
    @Inject(AuditConfig) private readonly config: AuditConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.AUDIT_CHECKPOINT_INTERVAL_S === 0) await this.refresh();
    else await this.runInterval();
    this.job.start(this.config.AUDIT_CHECKPOINT_INTERVAL_S * 1000, () => this.runInterval());
  }

  async onApplicationShutdown(): Promise<void> {
    await this.job.stop();
  }

  /**
   * Signs the head as `manager`'s transaction sees it (an export's snapshot: its rows and its
   * checkpoint agree; the caller seals what is committed before opening it) and stores the
   * checkpoint with that transaction. Made on its own, everything committed is sealed first
   * and the checkpoint is served in the header at once; made in a caller's transaction, once
   * that committed and `refresh()` (or the next tick) read it.
   */
  async create(reason: CheckpointReason, manager?: EntityManager): Promise<SignedCheckpoint> {
    if (manager === undefined) await this.sealer.flush();
    const checkpoint = await this.sign(reason, manager ?? this.dataSource.manager);
    if (manager === undefined) this.remember(checkpoint);
    return checkpoint;
  }

  /** Signs the head `run` sees and inserts the checkpoint. */
  private async sign(reason: CheckpointReason, run: EntityManager): Promise<SignedCheckpoint> {
    const [head] = await run.query<{ seq: string; hash: Buffer }[]>(
      `SELECT "seq", "hash" FROM "audit_head"`,
    );
    if (head === undefined) throw new Error('audit_head is missing: run the migrations');
    const { keyId, privateKey } = this.keys.signing();
    const checkpoint = signCheckpoint(
      {
        v: CHAIN_FORMAT,
        size: Number(head.seq),
        head: head.hash.toString('hex'),
        time: this.clock.now().toISOString(),
        keyId,
      },
      privateKey,
    );
    await run.query(
      `INSERT INTO "audit_checkpoints" ("size", "head", "time", "key_id", "signature", "reason")
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        checkpoint.size,
        head.hash,
        checkpoint.time,
        keyId,
        Buffer.from(checkpoint.sig, 'base64url'),
        reason,
      ],
    );
    return checkpoint;
  }

  /**
   * The interval's checkpoint: made when no checkpoint covers the head yet (none by any
   * instance, nor by an export), otherwise the one that does is re-read so that every instance
   * serves it. An empty chain gets one too (size 0, head 64 zeros: a true statement).
   */
  async runInterval(): Promise<SignedCheckpoint | undefined> {
    await this.sealer.flush();
    const checkpoint = await this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [CHECKPOINT_LOCK]);
      // Read after the lock (READ COMMITTED: a new snapshot), so it sees what the instance that
      // held the lock before committed.
      const [latest] = await manager.query<(CheckpointRow & { head_seq: string })[]>(
        `SELECT c.*, h."seq" AS head_seq FROM "audit_head" h
           LEFT JOIN LATERAL (${NEWEST_SQL}) c ON true`,
      );
      if (latest !== undefined && latest.size !== null && latest.size === latest.head_seq) {
        return checkpointFromRow(latest);
      }
      return this.sign('interval', manager);
    });
    // Served once committed, not before.
    this.remember(checkpoint);
    return checkpoint;
  }

  /** Reads the newest checkpoint (made by any instance) into memory; makes none. */
  async refresh(): Promise<SignedCheckpoint | undefined> {
    const [row] = await this.dataSource.query<CheckpointRow[]>(NEWEST_SQL);
    if (row !== undefined) this.remember(checkpointFromRow(row));
    return this.latest();
  }

  /** The newest checkpoint this instance made or read; undefined before the first. */
  latest(): SignedCheckpoint | undefined {
    return this.newest?.checkpoint;
  }

  /** The newest checkpoint as the `X-Audit-Checkpoint` header value. */
  latestHeader(): string | undefined {
    return this.newest?.header;
  }

  /** Checkpoints, newest first (by id), for the auditor (and the verification). */
  async list(limit: number, beforeId?: string): Promise<StoredCheckpoint[]> {
    const rows = await this.dataSource.query<CheckpointRow[]>(
      `SELECT * FROM "audit_checkpoints" WHERE ($1::bigint IS NULL OR "id" < $1)
        ORDER BY "id" DESC LIMIT $2`,
      [beforeId ?? null, limit],
    );
    return rows.map((row) => ({ id: row.id, ...checkpointFromRow(row), reason: row.reason }));
  }

  private remember(checkpoint: SignedCheckpoint): void {
    const current = this.newest?.checkpoint;
    if (current !== undefined && current.size > checkpoint.size) return;
    if (current !== undefined && current.size === checkpoint.size && current.time > checkpoint.time)
      return;
    this.newest = { checkpoint, header: encodeCheckpointHeader(checkpoint) };
  }
}
