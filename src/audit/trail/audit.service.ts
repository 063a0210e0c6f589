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
import { actorType, type Principal } from '#src/identity/auth/principal.js';
import { Clock } from '#src/platform/clock/clock.js';
import { currentRequestContext, type RequestContext } from '#src/platform/http/request-context.js';

/** A connection that runs SQL: a TypeORM EntityManager or QueryRunner, or a `pg` client. */
export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/** Who did it: a caller, or the service itself (scheduled jobs, bootstrap). */
export type Actor = Principal | 'system';

export interface AuditEventInput {
  actor: Actor;
  /** Dotted verb, e.g. `blocking_request.approve`. */
  action: string;
  objectType: string;
  objectId: string | null;
  /** A short before/after summary: plain JSON, never secrets. */
  summary?: Record<string, unknown>;
  /**
   * The request behind the event when it is recorded after the request (buffered feed pulls):
   * captured at request time; null for none. Omitted: the current request's, if any.
   */
  context?: RequestContext | null;
}

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
 * The one place state changes are recorded (docs/decisions/0012-audit-trail.md).
 *
 * `record(manager, …)` inside a transaction buffers the event; just before that transaction
 * commits (TypeORM's BeforeTransactionCommit), its events are written to `audit_pending` with
 * their digests, in one statement that takes no lock: writers do not wait for each other, and
 * their commits are flushed together. If that write fails, the commit does not happen: the
 * change and its event commit together or not at all. The AuditSealer then chains committed
 * events (seq and hash) in a transaction of its own, within AUDIT_SEAL_INTERVAL_MS.
 */
@Injectable()
export class AuditService implements EntitySubscriberInterface, OnModuleInit {
  private readonly pending = new WeakMap<QueryRunner, Buffered[]>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

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

/** The events organizations can subscribe to (webhooks). */
export const EVENT_TYPES = [
  'request.published',
  'request.withdrawn',
  'assignment.reminder',
  'assignment.overdue',
  'confirmation.received',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface OutboxMessage {
  topic: EventType;
  /** The object the event is about (a request, an assignment…). */
  aggregateId: string | null;
  /** What subscribers receive; nothing a recipient may not see. */
  payload: Record<string, unknown>;
  /** The organizations allowed to receive it (their webhook subscriptions get a delivery). */
  recipients: string[];
}

/**
 * Events to deliver after commit: written in the transaction of the change they describe
 * (transactional outbox), fanned out to webhook subscriptions by the dispatcher.
 */
@Injectable()
export class OutboxService {
  constructor(private readonly clock: Clock) {}

  /** `created_at` is the application clock's now: the event's `timestamp` in deliveries. */
  async enqueue(connection: Queryable, message: OutboxMessage): Promise<void> {
    await connection.query(
      `INSERT INTO outbox (topic, aggregate_id, payload, recipients, created_at)
       VALUES ($1, $2, $3, $4, $5)`,
      [
        message.topic,
        message.aggregateId,
        JSON.stringify(message.payload),
        [...new Set(message.recipients)],
        this.clock.now(),
      ],
    );
  }
}
