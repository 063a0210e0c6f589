import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional } from 'class-validator';
import {
  emptyToUndefined,
  IntInRange,
  IsCidrList,
  toBool,
  type PlatformConfig,
} from '#src/platform/config/index.js';

/** Messaging's settings: the webhook workers, deliveries and the URLs they may reach. */
export class MessagingConfig {
  /**
   * Webhooks (docs/operations.md#webhooks). Milliseconds between polls of the webhook workers
   * (outbox dispatcher and deliverer); 0 turns polling off. Unset: 1000, or 0 when NODE_ENV=test
   * (tests drive the workers by hand).
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IntInRange(0, 3600000, ' (off)')
  WEBHOOK_POLL_INTERVAL_MS?: number;

  /** Outbox messages fanned out, and deliveries claimed, per worker round. */
  @IntInRange(1, 1000)
  WEBHOOK_BATCH_SIZE = 50;

  /**
   * Time allowed for one delivery attempt, in milliseconds: one deadline for the whole attempt
   * (subscription lookup, DNS resolution and vetting, connect, send, response).
   */
  @IntInRange(100, 120000)
  WEBHOOK_TIMEOUT_MS = 10000;

  /**
   * Webhook subscriptions one organization may have (not counting deleted ones); creating one
   * more is refused with 429 `webhook-subscriptions-per-organization`. Each subscription gets a
   * delivery per matching event: the cap bounds what one organization adds to the workers' load.
   */
  @IntInRange(1, 1000)
  WEBHOOK_MAX_SUBSCRIPTIONS_PER_ORGANIZATION = 10;

  /**
   * Deliveries of one organization leased at once, across every worker of every instance: the
   * claim takes the oldest due deliveries within this bound, so one organization with a slow
   * receiver holds at most this many lanes while the others' deliveries go on.
   */
  @IntInRange(1, 200)
  WEBHOOK_MAX_IN_FLIGHT_PER_ORGANIZATION = 5;

  /** Delivery attempts one worker runs at the same time (the rest of its batch waits). */
  @IntInRange(1, 200)
  WEBHOOK_CONCURRENCY = 10;

  /** Attempts of one delivery before it is dead-lettered. */
  @IntInRange(1, 100)
  WEBHOOK_MAX_ATTEMPTS = 10;

  /** Exponential backoff with full jitter: the n-th retry waits random(0, min(cap, base·2^(n−1))). */
  @IntInRange(0, 86400000)
  WEBHOOK_RETRY_BASE_MS = 30000;

  @IntInRange(0, 7 * 86400000)
  WEBHOOK_RETRY_CAP_MS = 6 * 3600000;

  /** Hours the previous signing secret keeps signing after a rotation (both signatures sent). */
  @IntInRange(0, 720)
  WEBHOOK_SECRET_OVERLAP_HOURS = 24;

  /**
   * Accept http:// webhook URLs outside NODE_ENV=development (never in production: for tests
   * and local receivers only).
   */
  @Transform(toBool)
  @IsBoolean({ message: 'WEBHOOK_ALLOW_HTTP must be true or false' })
  WEBHOOK_ALLOW_HTTP = false;

  /**
   * Comma-separated CIDRs that webhook URLs may resolve to although private or loopback. For
   * development and tests only (e.g. 127.0.0.0/8 for a local receiver); empty by default.
   */
  @IsCidrList('WEBHOOK_ALLOWED_PRIVATE_CIDRS must be a comma-separated list of CIDRs, or empty')
  WEBHOOK_ALLOWED_PRIVATE_CIDRS = '';
}

/** What the section may not say given the platform's (one line each). */
export function messagingConfigProblems(
  config: MessagingConfig,
  platform: Pick<PlatformConfig, 'NODE_ENV'>,
): string[] {
  if (platform.NODE_ENV !== 'production') return [];
  // Both are for tests and development only: production never sends over plain http nor
  // to private addresses, whatever the environment says.
  const problems: string[] = [];
  if (config.WEBHOOK_ALLOW_HTTP) {
    problems.push('WEBHOOK_ALLOW_HTTP=true is refused when NODE_ENV=production (tests only)');
  }
  if (config.WEBHOOK_ALLOWED_PRIVATE_CIDRS.trim() !== '') {
    problems.push(
      'WEBHOOK_ALLOWED_PRIVATE_CIDRS must be empty when NODE_ENV=production (tests only)',
    );
  }
  return problems;
}
