import type { AuditEventFields } from '#src/audit/trail/chain.js';

/**
 * An event's hashed fields as the columns of `audit_pending` and `audit_events` hold them
 * (`at` apart: each reader chooses how to read the time back). Node built-ins only, like
 * chain.ts: the bench and tests use it too.
 */
export interface AuditEventColumns {
  actor_type: AuditEventFields['actorType'];
  actor_id: string | null;
  organization_id: string | null;
  roles: string[];
  action: string;
  object_type: string;
  object_id: string | null;
  summary: Record<string, unknown>;
  request_id: string | null;
  client_ip: string | null;
}

/**
 * The columns an event is written with to `audit_pending` and carried unchanged into
 * `audit_events` (where it also gets `seq` and `hash`; `id` is drawn by `audit_pending`).
 */
export const EVENT_COLUMNS = [
  'at',
  'actor_type',
  'actor_id',
  'organization_id',
  'roles',
  'action',
  'object_type',
  'object_id',
  'summary',
  'request_id',
  'client_ip',
  'digest',
] as const;

/** The fields an event's digest is taken over, from its columns and its time (ISO, ms). */
export function eventFields(columns: AuditEventColumns, at: string): AuditEventFields {
  return {
    at,
    actorType: columns.actor_type,
    actorId: columns.actor_id,
    organizationId: columns.organization_id,
    roles: columns.roles,
    action: columns.action,
    objectType: columns.object_type,
    objectId: columns.object_id,
    summary: columns.summary,
    requestId: columns.request_id,
    clientIp: columns.client_ip,
  };
}

/** The columns of an event, with its time, as written. */
export function eventColumns(fields: AuditEventFields): AuditEventColumns & { at: string } {
  return {
    at: fields.at,
    actor_type: fields.actorType,
    actor_id: fields.actorId,
    organization_id: fields.organizationId,
    roles: fields.roles,
    action: fields.action,
    object_type: fields.objectType,
    object_id: fields.objectId,
    summary: fields.summary,
    request_id: fields.requestId,
    client_ip: fields.clientIp,
  };
}
