import { IsIn } from 'class-validator';
import { IntInRange } from '#src/platform/config/index.js';

/** Who may read the published list of units with open cases (`GET /public/botnet-units`). */
export const PUBLISHED_LIST_ACCESSES = ['authenticated', 'public'] as const;
export type PublishedListAccess = (typeof PUBLISHED_LIST_ACCESSES)[number];

/**
 * The response context's settings: units' cases (deadlines, quiet period, reminders) and
 * incident reports (SLA per severity, attachments).
 */
export class ResponseConfig {
  /** Seconds between runs of the response scheduler (case quiet-period closing, reminders); 0 turns it off. */
  @IntInRange(0, 86400, ' (off)')
  RESPONSE_SCHEDULER_INTERVAL_S = 60;

  /** Hours a unit has to act on a case, from its opening (or reopening). */
  @IntInRange(1, 8760)
  CASE_DEADLINE_HOURS = 72;

  /** Hours without a new connection after a remediation report before the case closes. */
  @IntInRange(1, 8760)
  CASE_QUIET_PERIOD_HOURS = 72;

  /** Days after closing during which a new connection reopens the same case (0: always a new case). */
  @IntInRange(0, 3650)
  CASE_REOPEN_WINDOW_DAYS = 30;

  /** Hours before a case's deadline when its unit is reminded, once (0: no reminders). */
  @IntInRange(0, 8760)
  CASE_REMINDER_BEFORE_HOURS = 24;

  /**
   * Who may read the published list of units with open cases: `authenticated` (the Department's
   * staff and auditors, `GET /published/botnet-units`, with detail) or `public` (also anyone,
   * `GET /public/botnet-units`, unit names and counts only; otherwise that route is a 404).
   */
  @IsIn(PUBLISHED_LIST_ACCESSES, {
    message: `PUBLISHED_LIST_ACCESS must be one of ${PUBLISHED_LIST_ACCESSES.join(', ')}`,
  })
  PUBLISHED_LIST_ACCESS: PublishedListAccess = 'authenticated';

  /**
   * Hours the response team has to resolve an incident report of severity `critical`, from its
   * filing (the SLA is measured to resolution: `due_at` = filed + these hours).
   */
  @IntInRange(1, 8760)
  INCIDENT_SLA_CRITICAL_HOURS = 4;

  /** The same for severity `high`. */
  @IntInRange(1, 8760)
  INCIDENT_SLA_HIGH_HOURS = 24;

  /** The same for severity `medium`. */
  @IntInRange(1, 8760)
  INCIDENT_SLA_MEDIUM_HOURS = 72;

  /** The same for severity `low`. */
  @IntInRange(1, 8760)
  INCIDENT_SLA_LOW_HOURS = 168;

  /** Minutes before an incident's due time when its assignee (else every responder) is reminded (0: no reminders). */
  @IntInRange(0, 43200)
  INCIDENT_REMINDER_BEFORE_MINUTES = 60;

  /** Largest attachment of an incident report, in bytes (at most 10 per report). */
  @IntInRange(1024, 52428800)
  INCIDENT_ATTACHMENT_MAX_BYTES = 5242880;

  /** Largest body of POST /connections (JSON or CSV, up to 50,000 rows). */
  @IntInRange(1024, 1024 * 1024 * 1024)
  CONNECTIONS_BODY_LIMIT_BYTES = 32 * 1024 * 1024;

  /** A connection row older than this many days is refused. */
  @IntInRange(1, 3650)
  CONNECTIONS_MAX_AGE_DAYS = 90;

  /** A connection row may be this many seconds in the future (the reporter's clock skew). */
  @IntInRange(0, 3600)
  CONNECTIONS_CLOCK_SKEW_S = 300;

  /** Largest body of POST /units/import (CSV, up to 5,000 units). */
  @IntInRange(1024, 256 * 1024 * 1024)
  UNITS_IMPORT_BODY_LIMIT_BYTES = 16 * 1024 * 1024;
}
