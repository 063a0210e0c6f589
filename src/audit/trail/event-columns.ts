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

/**
 * A row of `audit_events` as every reader selects it ({@link auditEventSelect}): the search, the
 * verification and the exports.
 */
export interface AuditEventRow extends AuditEventColumns {
  /** bigint, as text. */
  id: string;
  /** bigint, as text. */
  seq: string;
  /** The stored time, read back at millisecond precision. */
  at: Date;
  /** The stored time as PostgreSQL holds it, UTC, microseconds, no zone: nothing rounded. */
  at_micros: string;
  digest: Buffer;
  hash: Buffer;
}

/** The columns of an event's own (not of its place in the chain), as {@link AuditEventRow} names them. */
const OWN_COLUMNS = (e: string): [string, keyof AuditEventRow][] => [
  [`${e}.id::text`, 'id'],
  [`${e}.at`, 'at'],
  [`to_char(${e}.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`, 'at_micros'],
  [`${e}.actor_type`, 'actor_type'],
  [`${e}.actor_id`, 'actor_id'],
  [`${e}.organization_id`, 'organization_id'],
  [`${e}.roles`, 'roles'],
  [`${e}.action`, 'action'],
  [`${e}.object_type`, 'object_type'],
  [`${e}.object_id`, 'object_id'],
  [`${e}.summary`, 'summary'],
  [`${e}.request_id`, 'request_id'],
  [`${e}.client_ip`, 'client_ip'],
];

/**
 * The select list of {@link AuditEventRow} on `alias` (a row of `audit_events`). With `when` (a
 * SQL condition), the event's own columns are read only where it holds and are null elsewhere
 * (an export's events outside its filters: only their place and digests travel).
 */
export function auditEventSelect(alias: string, when?: string): string {
  const own = OWN_COLUMNS(alias).map(([sql, name]) =>
    when === undefined ? `${sql} AS ${name}` : `CASE WHEN ${when} THEN ${sql} END AS ${name}`,
  );
  return [`${alias}.seq::text AS seq`, ...own, `${alias}.digest`, `${alias}.hash`].join(', ');
}

/**
 * The time an event was chained with (ISO, milliseconds) from its stored text; a time with
 * microseconds the chain never writes is kept as it is, so that it shows as an altered event.
 */
export function chainTime(atMicros: string): string {
  return `${atMicros.endsWith('000') ? atMicros.slice(0, -3) : atMicros}Z`;
}

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
