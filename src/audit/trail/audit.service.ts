import { Injectable, type OnModuleInit } from '@nestjs/common';
import {
  DataSource,
  type EntityManager,
  type EntitySubscriberInterface,
  type QueryRunner,
  type TransactionCommitEvent,
  type TransactionRollbackEvent,
} from 'typeorm';
import { eventDigest, type AuditEventFields } from '#src/audit/trail/chain.js';
import { EVENT_COLUMNS, eventColumns } from '#src/audit/trail/event-columns.js';
import { actorType } from '#src/identity/index.js';
import { Clock } from '#src/platform/clock/index.js';
import { AuditLog, type AuditEventInput } from '#src/platform/audit-log/index.js';
import type { Queryable } from '#src/platform/database/index.js';
import { currentRequestContext } from '#src/platform/http/index.js';

/** An event waiting for its transaction's commit; `at` is given when it is written. */
type PendingEvent = Omit<AuditEventFields, 'at'>;

interface Buffered {
  event: PendingEvent;
  /** The transaction depth it was recorded at: a rolled-back savepoint drops its events. */
  depth: number;
}

/** Rows per INSERT: within PostgreSQL's 65,535 parameters (12 a row). */
const ROWS_PER_INSERT = 4000;

/** TypeORM keeps the nesting depth protected; savepoints need it here. */
function depthOf(runner: QueryRunner): number {
  return (runner as unknown as { transactionDepth: number }).transactionDepth;
}

/**
 * The one place state changes are recorded (docs/decisions/0012-audit-trail.md); the other
 * contexts reach it through its port, `AuditLog` (src/platform/audit-log/).
 *
 * `record(manager, …)` inside a transaction buffers the event; just before that transaction
 * commits (TypeORM's BeforeTransactionCommit), its events are written to `audit_pending` with
 * their digests, in one statement that takes no lock: writers do not wait for each other, and
 * their commits are flushed together. If that write fails, the commit does not happen: the
 * change and its event commit together or not at all. The AuditSealer then chains committed
 * events (seq and hash) in a transaction of its own, within AUDIT_SEAL_INTERVAL_MS.
 */
@Injectable()
export class AuditService extends AuditLog implements EntitySubscriberInterface, OnModuleInit {
  private readonly pending = new WeakMap<QueryRunner, Buffered[]>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {
    super();
  }

  onModuleInit(): void {
    if (!this.dataSource.subscribers.includes(this)) this.dataSource.subscribers.push(this);
  }

  /**
   * Records an event in the transaction of `manager`, written when it commits. Without a
   * transaction (no manager, or one outside a transaction) the event is written at once in a
   * transaction of its own: only for events that change nothing else.
   */
  async record(manager: EntityManager | undefined, event: AuditEventInput): Promise<void> {
    const runner = manager?.queryRunner;
    if (runner === undefined || !runner.isTransactionActive) {
      await this.dataSource.transaction((own) => this.record(own, event));
      return;
    }
    const list = this.pending.get(runner) ?? [];
    list.push({ event: this.pendingEvent(event), depth: depthOf(runner) });
    this.pending.set(runner, list);
  }

  /** Writes an event at once on a raw connection, inside its transaction (a `pg` client). */
  async recordWith(connection: Queryable, event: AuditEventInput): Promise<void> {
    await this.append(connection, [this.pendingEvent(event)]);
  }

  async beforeTransactionCommit(commit: TransactionCommitEvent): Promise<void> {
    const runner = commit.queryRunner;
    if (depthOf(runner) !== 1) return;
    const list = this.pending.get(runner);
    if (list === undefined) return;
    this.pending.delete(runner);
    await this.append(
      runner,
      list.map((b) => b.event),
    );
  }

  afterTransactionCommit(commit: TransactionCommitEvent): void {
    // A released savepoint hands its events to the enclosing transaction.
    const list = this.pending.get(commit.queryRunner);
    const depth = depthOf(commit.queryRunner);
    if (list !== undefined) for (const b of list) b.depth = Math.min(b.depth, depth);
  }

  afterTransactionRollback(rollback: TransactionRollbackEvent): void {
    const runner = rollback.queryRunner;
    const list = this.pending.get(runner);
    if (list === undefined) return;
    const kept = list.filter((b) => b.depth <= depthOf(runner));
    if (kept.length === 0 || depthOf(runner) === 0) this.pending.delete(runner);
    else this.pending.set(runner, kept);
  }

  private pendingEvent(event: AuditEventInput): PendingEvent {
    const context = event.context === undefined ? currentRequestContext() : event.context;
    const actor = event.actor === 'system' ? undefined : event.actor;
    return {
      actorType: actor === undefined ? 'system' : actorType(actor),
      actorId: actor?.id ?? null,
      organizationId: actor?.organizationId ?? null,
      roles: [...(actor?.roles ?? [])],
      action: event.action,
      objectType: event.objectType,
      objectId: event.objectId,
      // Plain JSON, as it will read back from jsonb (dates as strings, no undefined).
      summary: JSON.parse(JSON.stringify(event.summary ?? {})) as Record<string, unknown>,
      requestId: context?.requestId ?? null,
      clientIp: context?.clientIp ?? null,
    };
  }

  /**
   * Writes `events` to `audit_pending` with their digests, in the caller's transaction: one
   * statement, no lock. The sealer chains them once that transaction committed.
   */
  private async append(connection: Queryable, events: PendingEvent[]): Promise<void> {
    const at = this.clock.now().toISOString();
    // A plain VALUES list (rows in order, ids drawn in that order): the cheapest statement to
    // plan, which matters on the path of every audited transaction.
    for (let start = 0; start < events.length; start += ROWS_PER_INSERT) {
      const params: unknown[] = [];
      const tuples = events.slice(start, start + ROWS_PER_INSERT).map((event) => {
        const fields: AuditEventFields = { ...event, at };
        const row = {
          ...eventColumns(fields),
          summary: JSON.stringify(fields.summary),
          digest: eventDigest(fields),
        };
        const first = params.length;
        params.push(...EVENT_COLUMNS.map((column) => row[column]));
        return `(${EVENT_COLUMNS.map((_, i) => `$${first + i + 1}`).join(', ')})`;
      });
      await connection.query(
        `INSERT INTO "audit_pending" (${EVENT_COLUMNS.map((c) => `"${c}"`).join(', ')})
         VALUES ${tuples.join(', ')}`,
        params,
      );
    }
  }
}
