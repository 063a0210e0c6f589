import { IntInRange } from '#src/platform/config/index.js';

/**
 * The response context's settings: units' cases (deadlines, quiet period, reminders) and
 * incident reports (SLA per severity, attachments).
 */
export class ResponseConfig {
  /** Seconds between runs of the response scheduler (case quiet-period closing, reminders); 0 turns it off. */
  @IntInRange(0, 86400, ' (off)')
  RESPONSE_SCHEDULER_INTERVAL_S = 60;
}
