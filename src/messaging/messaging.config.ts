import { Transform } from 'class-transformer';
import { IsBoolean, IsEmail, IsOptional, Matches, MaxLength } from 'class-validator';
import {
  emptyToUndefined,
  IntInRange,
  IsCidrList,
  toBool,
  type PlatformConfig,
} from '#src/platform/config/index.js';

/**
 * Messaging's settings: the webhook workers, deliveries and the URLs they may reach; e-mail out
 * (SMTP) and in (the incident mailbox's intake).
 */
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

  /**
   * E-mail (docs/operations.md#e-mail). The SMTP server notices and reminders go out through:
   * `smtp://[user:password@]host[:port]` (STARTTLS when the server offers it) or
   * `smtps://…` (TLS from the start). A secret (it may carry a password; also SMTP_URL_FILE),
   * never logged. Unset: mails stay pending in the mail outbox and the log says so once at start.
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @MaxLength(2048, { message: 'SMTP_URL must be at most 2048 characters' })
  @Matches(/^smtps?:\/\/[^\s/?#]+(:\d{1,5})?\/?(\?[^\s#]*)?$/, {
    message: 'SMTP_URL must be smtp://[user:password@]host[:port] or smtps://…',
  })
  SMTP_URL?: string;

  /** Connection, greeting and inactivity timeout of the SMTP client, in milliseconds. */
  @IntInRange(100, 120000)
  SMTP_TIMEOUT_MS = 10000;

  /** The From address of every mail the service sends. */
  @IsEmail({ require_tld: false }, { message: 'MAIL_FROM must be an e-mail address' })
  @MaxLength(320, { message: 'MAIL_FROM must be an e-mail address' })
  MAIL_FROM = 'threat-exchange@localhost';

  /**
   * Milliseconds between rounds of the mail sender; 0 turns it off. Unset: 1000, or 0 when
   * NODE_ENV=test (tests drive the sender by hand).
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IntInRange(0, 3600000, ' (off)')
  MAIL_POLL_INTERVAL_MS?: number;

  /** Mails claimed per sender round. */
  @IntInRange(1, 500)
  MAIL_BATCH_SIZE = 20;

  /** Attempts of one mail before it is `failed` (a permanent 5xx refusal fails it at once). */
  @IntInRange(1, 50)
  MAIL_MAX_ATTEMPTS = 8;

  /** Exponential backoff with full jitter: the n-th retry waits random(0, min(6 h, base·2^(n−1))). */
  @IntInRange(0, 86400000)
  MAIL_RETRY_BASE_MS = 60000;

  /** TCP port of the incident mailbox's SMTP intake; 0 (the default) turns the intake off. */
  @IntInRange(0, 65535, ' (off)')
  MAIL_INTAKE_PORT = 0;

  /** Address the intake listens on. */
  @MaxLength(255, { message: 'MAIL_INTAKE_HOST must be a host name or an IP address' })
  @Matches(/^[A-Za-z0-9.:-]+$/, {
    message: 'MAIL_INTAKE_HOST must be a host name or an IP address',
  })
  MAIL_INTAKE_HOST = '127.0.0.1';

  /**
   * The incident mailbox (e.g. su-co@soc.example): the only recipient the intake accepts.
   * Required when MAIL_INTAKE_PORT is set.
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsEmail({ require_tld: false }, { message: 'MAIL_INTAKE_ADDRESS must be an e-mail address' })
  @MaxLength(320, { message: 'MAIL_INTAKE_ADDRESS must be an e-mail address' })
  MAIL_INTAKE_ADDRESS?: string;

  /** Largest mail the intake takes, in bytes (the whole message, attachments included); then 552. */
  @IntInRange(1024, 52428800)
  MAIL_INTAKE_MAX_BYTES = 10485760;

  /** SMTP connections the intake holds at once (per instance); more are refused (421). */
  @IntInRange(1, 1000)
  MAIL_INTAKE_MAX_CLIENTS = 20;

  /** Mails one envelope sender may file per hour, all instances together; then 451. */
  @IntInRange(1, 100000)
  MAIL_INTAKE_PER_SENDER_PER_HOUR = 30;

  /**
   * The mail gateway's authserv-id (RFC 8601), e.g. `mx.dic.example`. Set: a mail is filed only
   * when an `Authentication-Results` header of that id says `dmarc=pass` (the gateway checked
   * SPF, DKIM and DMARC, and removes headers claiming its id from outside); otherwise it waits in
   * the quarantine. Unset: the intake trusts that only the gateway can reach it.
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^[A-Za-z0-9.-]{1,253}$/, {
    message: 'MAIL_INTAKE_TRUSTED_AUTHSERV_ID must be a host name (the gateway’s authserv-id)',
  })
  MAIL_INTAKE_TRUSTED_AUTHSERV_ID?: string;

  /** An intake connection silent this long (ms) is closed. */
  @IntInRange(1000, 600000)
  MAIL_INTAKE_SOCKET_TIMEOUT_MS = 60000;
}

/** What the section may not say given the platform's (one line each). */
export function messagingConfigProblems(
  config: MessagingConfig,
  platform: Pick<PlatformConfig, 'NODE_ENV'>,
): string[] {
  const problems: string[] = [];
  if (config.MAIL_INTAKE_PORT > 0 && config.MAIL_INTAKE_ADDRESS === undefined) {
    problems.push(
      'MAIL_INTAKE_ADDRESS (the incident mailbox) is required when MAIL_INTAKE_PORT is set',
    );
  }
  if (platform.NODE_ENV !== 'production') return problems;
  // Both are for tests and development only: production never sends over plain http nor
  // to private addresses, whatever the environment says.
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
