import { Global, Injectable, Module } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { actorType, type Principal } from '#src/auth/principal.js';
import { Clock } from '#src/common/clock/clock.js';
import { currentRequestContext } from '#src/common/http/request-context.js';

/** A connection that runs SQL: a TypeORM EntityManager or a `pg` client. */
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
  /** A short before/after summary; never secrets. */
  summary?: Record<string, unknown>;
}

/**
 * The one place state changes are recorded. Call it with the transaction's EntityManager so
 * that the event commits (or rolls back) with the change it describes. Plain rows for now;
 * the tamper-evident chain comes on top of this table later.
 */
@Injectable()
export class AuditService {
  constructor(private readonly dataSource: DataSource) {}

  record(manager: EntityManager | undefined, event: AuditEventInput): Promise<void> {
    return this.recordWith(manager ?? this.dataSource.manager, event);
  }

  /** The same, on any connection with a `query` method (a raw `pg` client in a transaction). */
  async recordWith(connection: Queryable, event: AuditEventInput): Promise<void> {
    const context = currentRequestContext();
    const actor = event.actor === 'system' ? undefined : event.actor;
    await connection.query(
      `INSERT INTO audit_events
         (actor_type, actor_id, organization_id, roles, action, object_type, object_id, summary,
          request_id, client_ip)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        actor === undefined ? 'system' : actorType(actor),
        actor?.id ?? null,
        actor?.organizationId ?? null,
        actor?.roles ?? [],
        event.action,
        event.objectType,
        event.objectId,
        JSON.stringify(event.summary ?? {}),
        context?.requestId ?? null,
        context?.clientIp ?? null,
      ],
    );
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

@Global()
@Module({ providers: [AuditService, OutboxService], exports: [AuditService, OutboxService] })
export class AuditModule {}
