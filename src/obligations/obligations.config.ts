import { IntInRange } from '#src/platform/config/index.js';

/** The obligations' settings: the deadline scheduler's reminders and escalations. */
export class ObligationsConfig {
  /** Seconds between runs of the deadline scheduler (reminders, escalations); 0 turns it off. */
  @IntInRange(0, 86400, ' (off)')
  ASSIGNMENT_SCHEDULER_INTERVAL_S = 30;

  /** Minutes before an assignment's deadline when its ISP is reminded (0: no reminders). */
  @IntInRange(0, 43200)
  ASSIGNMENT_REMINDER_BEFORE_MINUTES = 120;

  /** Minutes after an assignment's deadline when it is escalated as overdue (0: once the deadline has passed). */
  @IntInRange(0, 43200)
  ASSIGNMENT_ESCALATION_AFTER_MINUTES = 0;
}
