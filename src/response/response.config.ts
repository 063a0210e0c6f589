import { Transform } from 'class-transformer';
import { IsEmail, IsOptional } from 'class-validator';
import { emptyToUndefined, IntInRange } from '#src/platform/config/index.js';

/**
 * The response context's settings: units' cases (deadlines, quiet period, reminders) and
 * incident reports (SLA per severity, attachments).
 */
export class ResponseConfig {
  /** Seconds between runs of the response scheduler (case quiet-period closing, reminders); 0 turns it off. */
  @IntInRange(0, 86400, ' (off)')
  RESPONSE_SCHEDULER_INTERVAL_S = 60;

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

  /**
   * The incident mailbox's address, shown at `GET /response-team`; its domain is never taken
   * for an indicator in a mailed report. Unset: not shown.
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsEmail({}, { message: 'INCIDENT_MAILBOX must be an e-mail address' })
  INCIDENT_MAILBOX?: string;
}
