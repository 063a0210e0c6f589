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
}
