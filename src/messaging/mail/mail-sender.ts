import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { createTransport } from 'nodemailer';
import { DataSource } from 'typeorm';
import { AuditLog } from '#src/platform/audit-log/index.js';
import { Clock } from '#src/platform/clock/index.js';
import { PlatformConfig } from '#src/platform/config/index.js';
import { PeriodicRun } from '#src/platform/jobs/index.js';
import { MessagingConfig } from '#src/messaging/messaging.config.js';
import {
  MailOutboxRepository,
  type ClaimedMail,
} from '#src/messaging/mail/mail-outbox.repository.js';
import { backoffDelayMs } from '#src/messaging/webhooks/webhook-worker.js';

/** Mails sent at the same time (and connections the pooled transport opens). */
const CONCURRENCY = 5;
/** One mail's whole attempt (connect, greeting, envelope, data) is given this many SMTP_TIMEOUT_MS. */
const DEADLINE_TIMEOUTS = 3;
/** A lease outlives the round's attempts by this much before another sender may take over. */
const LEASE_MARGIN_MS = 30_000;
/** Ceiling of the backoff between attempts. */
const RETRY_CAP_MS = 6 * 3600_000;
/** last_error is cut to this many characters. */
const MAX_ERROR = 500;

/** What the SMTP client reports of a failure (nodemailer's error fields). */
interface SmtpError {
  message?: string;
  code?: string;
  responseCode?: number;
  response?: string;
}

/** What one round did. */
export interface MailRound {
  claimed: number;
  sent: number;
  retried: number;
  failed: number;
}

type Outcome =
  | { ok: true; messageId: string | null; rejected: string[] }
  | { ok: false; permanent: boolean; error: string };

/** The pooled SMTP transport, as far as the sender uses it. */
interface Transport {
  sendMail(mail: Record<string, unknown>): Promise<{ messageId?: string; rejected: string[] }>;
  close(): void;
}

/**
 * Sends the mail outbox through SMTP (nodemailer, one pooled transport). A round leases the due
 * mails (FOR UPDATE SKIP LOCKED, then a lease in the row), sends them CONCURRENCY at a time, each
 * under one deadline, and records each outcome with the lease as a token: sent (audited
 * `mail.send`), retried with exponential backoff and full jitter, or `failed` (audited
 * `mail.fail`) after MAIL_MAX_ATTEMPTS or at once on a permanent refusal (5xx). Without
 * SMTP_URL nothing is claimed: mails wait, pending. Delivery is at least once: a crash between
 * the SMTP answer and its record sends the mail again after the lease (same Message-ID).
 */
@Injectable()
export class MailSender implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('Mail');
  private readonly periodic = new PeriodicRun('Mail round', this.log);
  private transport: Transport | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: MailOutboxRepository,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    @Inject(MessagingConfig) private readonly config: MessagingConfig,
    @Inject(PlatformConfig) private readonly platform: PlatformConfig,
  ) {}

  /** MAIL_POLL_INTERVAL_MS, or its default: 1000, off under NODE_ENV=test. */
  get pollIntervalMs(): number {
    return this.config.MAIL_POLL_INTERVAL_MS ?? (this.platform.NODE_ENV === 'test' ? 0 : 1000);
  }

  /** True when SMTP_URL is set. */
  get enabled(): boolean {
    return this.config.SMTP_URL !== undefined;
  }

  onApplicationBootstrap(): void {
    // Off in this instance (a command, a test): nothing to say, nothing to start.
    if (this.pollIntervalMs === 0) return;
    if (!this.enabled) {
      this.log.warn('E-mail is off: SMTP_URL is not set, mails stay pending in the mail outbox');
      return;
    }
    this.log.log(`E-mail on: sending through ${this.serverName()} as ${this.config.MAIL_FROM}`);
    this.periodic.start(this.pollIntervalMs, () => this.runOnce());
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.periodic.stop();
    this.transport?.close();
    this.transport = undefined;
  }

  /** One round: lease the due mails (one batch) and send them. */
  async runOnce(): Promise<MailRound> {
    const round: MailRound = { claimed: 0, sent: 0, retried: 0, failed: 0 };
    if (!this.enabled) return round;
    const deadlineMs = this.config.SMTP_TIMEOUT_MS * DEADLINE_TIMEOUTS;
    const batch = this.config.MAIL_BATCH_SIZE;
    const waves = Math.ceil(batch / CONCURRENCY);
    const claimed = await this.outbox.claimDue(
      this.clock.now(),
      batch,
      waves * deadlineMs + LEASE_MARGIN_MS,
    );
    round.claimed = claimed.length;
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < claimed.length) {
        const mail = claimed[next++];
        const result = await this.attempt(mail, deadlineMs);
        round[result]++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, claimed.length) }, lane));
    return round;
  }

  private async attempt(
    mail: ClaimedMail,
    deadlineMs: number,
  ): Promise<'sent' | 'retried' | 'failed'> {
    const outcome: Outcome =
      mail.attempts > this.config.MAIL_MAX_ATTEMPTS
        ? { ok: false, permanent: true, error: 'attempts exhausted (the last leases ran out)' }
        : await this.send(mail, deadlineMs);
    const now = this.clock.now();
    const exhausted = !outcome.ok && mail.attempts >= this.config.MAIL_MAX_ATTEMPTS;
    const result = outcome.ok ? 'sent' : outcome.permanent || exhausted ? 'failed' : 'retried';
    const nextAttemptAt = new Date(
      now.getTime() + backoffDelayMs(mail.attempts, this.config.MAIL_RETRY_BASE_MS, RETRY_CAP_MS),
    );
    const recorded = await this.dataSource.transaction(async (manager) => {
      const done = await this.outbox.record(
        manager,
        mail,
        outcome.ok
          ? { status: 'sent', at: now, messageId: outcome.messageId }
          : result === 'failed'
            ? { status: 'failed', error: outcome.error }
            : { status: 'pending', nextAttemptAt, error: outcome.error },
      );
      if (!done) return false;
      if (outcome.ok) {
        await this.audit.record(manager, {
          actor: 'system',
          action: 'mail.send',
          objectType: 'mail',
          objectId: mail.id,
          summary: {
            topic: mail.topic,
            recipients: mail.recipients,
            messageId: outcome.messageId,
            attempts: mail.attempts,
            ...(outcome.rejected.length > 0 ? { rejected: outcome.rejected } : {}),
          },
        });
      } else if (result === 'failed') {
        await this.audit.record(manager, {
          actor: 'system',
          action: 'mail.fail',
          objectType: 'mail',
          objectId: mail.id,
          summary: {
            topic: mail.topic,
            recipients: mail.recipients,
            attempts: mail.attempts,
            permanent: outcome.permanent,
            error: outcome.error.slice(0, 200),
          },
        });
      }
      return true;
    });
    const line =
      `mail ${mail.id} (${mail.topic}) attempt ${mail.attempts}: ` +
      (outcome.ok
        ? `sent, ${outcome.messageId ?? 'no Message-ID'}`
        : `${outcome.error}; ${result === 'failed' ? 'failed' : `retry at ${nextAttemptAt.toISOString()}`}`);
    if (!recorded) this.log.warn(`${line} (not recorded: the lease was taken over)`);
    else if (outcome.ok) this.log.log(line);
    else this.log.warn(line);
    return result;
  }

  /** Sends one mail under its deadline; never throws. */
  private async send(mail: ClaimedMail, deadlineMs: number): Promise<Outcome> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), deadlineMs);
    });
    const sending = this.transportNow().sendMail({
      from: this.config.MAIL_FROM,
      to: mail.recipients,
      subject: mail.subject,
      text: mail.body,
      // Stable across attempts: a receiver that got it already can tell it is the same mail.
      messageId: `<${mail.id}@${this.fromDomain()}>`,
      headers: {
        // RFC 3834: a notice, not to be answered by autoresponders.
        'Auto-Submitted': 'auto-generated',
        'X-Threat-Exchange-Topic': mail.topic,
      },
    });
    try {
      const answer = await Promise.race([sending, deadline]);
      if (answer === 'deadline') {
        sending.catch(() => undefined);
        // The pooled connection may be stuck: start afresh.
        this.transport?.close();
        this.transport = undefined;
        return {
          ok: false,
          permanent: false,
          error: `no answer from the SMTP server within ${deadlineMs} ms`,
        };
      }
      return {
        ok: true,
        messageId: answer.messageId ?? null,
        rejected: answer.rejected,
      };
    } catch (error) {
      const e = (error ?? {}) as SmtpError;
      const code = e.responseCode;
      // 5xx is the server's final word on this mail; a refused login (EAUTH) is the
      // configuration's fault and is retried until someone fixes SMTP_URL.
      const permanent = code !== undefined && code >= 500 && code < 600 && e.code !== 'EAUTH';
      const text = [e.code, e.response ?? e.message ?? String(error)]
        .filter((p) => p !== undefined && p !== '')
        .join(': ');
      return { ok: false, permanent, error: this.redact(text).slice(0, MAX_ERROR) };
    } finally {
      clearTimeout(timer);
    }
  }

  private transportNow(): Transport {
    this.transport ??= createTransport({
      url: this.config.SMTP_URL,
      pool: true,
      maxConnections: CONCURRENCY,
      connectionTimeout: this.config.SMTP_TIMEOUT_MS,
      greetingTimeout: this.config.SMTP_TIMEOUT_MS,
      socketTimeout: this.config.SMTP_TIMEOUT_MS,
      dnsTimeout: this.config.SMTP_TIMEOUT_MS,
      logger: false,
      debug: false,
    });
    return this.transport;
  }

  private fromDomain(): string {
    return this.config.MAIL_FROM.split('@').pop() || 'localhost';
  }

  /** Host and port of SMTP_URL, without user name or password (for the log). */
  private serverName(): string {
    try {
      const url = new URL(this.config.SMTP_URL!);
      return `${url.protocol}//${url.host}`;
    } catch {
      return 'the SMTP server';
    }
  }

  /** An SMTP error's text without SMTP_URL's password or user name, should it appear. */
  private redact(text: string): string {
    let out = text;
    try {
      const url = new URL(this.config.SMTP_URL!);
      for (const secret of [url.password, decodeURIComponent(url.password), url.username]) {
        if (secret.length >= 3) out = out.split(secret).join('***');
      }
    } catch {
      // not a URL the WHATWG parser takes: nothing to redact by parts
    }
    return out.split(this.config.SMTP_URL!).join('***');
  }
}
