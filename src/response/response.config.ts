import { IntInRange } from '#src/platform/config/index.js';

/**
 * The response context's settings: units' cases (deadlines, quiet period, reminders) and
 * incident reports (SLA per severity, attachments).
 */
export class ResponseConfig {
  /** Seconds between runs of the response scheduler (case quiet-period closing, reminders); 0 turns it off. */
  @IntInRange(0, 86400, ' (off)')
  RESPONSE_SCHEDULER_INTERVAL_S = 60;

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
