import { Injectable } from '@nestjs/common';
import { Clock } from '#src/platform/clock/index.js';
import type { Queryable } from '#src/platform/database/index.js';

/** The events organizations can subscribe to (webhooks). */
export const EVENT_TYPES = [
  'request.published',
  'request.withdrawn',
  'assignment.reminder',
  'assignment.overdue',
  'confirmation.received',
  'case.opened',
  'case.reopened',
  'case.reminder',
  'case.overdue',
  'case.closed',
  'incident.created',
  'incident.updated',
  'incident.reminder',
  'incident.overdue',
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
