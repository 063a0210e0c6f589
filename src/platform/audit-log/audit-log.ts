import type { EntityManager } from 'typeorm';
import type { Queryable } from '#src/platform/database/index.js';
import type { RequestContext } from '#src/platform/http/index.js';

/**
 * Who did something, as the audit trail records it: what every context's principal has
 * (identity's `Principal` fits), so that contexts below the audit trail can record events.
 */
export interface AuditActor {
  kind: 'user' | 'client';
  id: string;
  organizationId: string;
  roles: readonly string[];
}

/** Who did it: a caller, or the service itself (scheduled jobs, bootstrap). */
export type Actor = AuditActor | 'system';

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

/**
 * The audit trail as the other contexts see it (the port; the DI token): the audit context's
 * writer implements it and provides it globally (`AuditModule`), so that a context records
 * events without importing the audit context, which sits above identity.
 */
export abstract class AuditLog {
  /**
   * Records an event in the transaction of `manager`, written when it commits. Without a
   * transaction (no manager, or one outside a transaction) the event is written at once in a
   * transaction of its own: only for events that change nothing else.
   */
  abstract record(manager: EntityManager | undefined, event: AuditEventInput): Promise<void>;

  /** Writes an event at once on a raw connection, inside its transaction (a `pg` client). */
  abstract recordWith(connection: Queryable, event: AuditEventInput): Promise<void>;
}
