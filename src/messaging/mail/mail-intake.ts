import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import {
  SMTPServer,
  type SMTPServerAddress,
  type SMTPServerDataStream,
  type SMTPServerSession,
} from 'smtp-server';
import { DataSource } from 'typeorm';
import { PeopleDirectory } from '#src/identity/index.js';
import { AuditLog } from '#src/platform/audit-log/index.js';
import { Clock } from '#src/platform/clock/index.js';
import { isDatabaseUnavailable } from '#src/platform/database/index.js';
import { storableText } from '#src/platform/json/index.js';
import { MessagingConfig } from '#src/messaging/messaging.config.js';
import { dmarcPassedBy } from '#src/messaging/mail/mail-content.js';
import { parseMail, type MailContent } from '#src/messaging/mail/mail-content.js';
import {
  MailInboxRepository,
  type NewInboxRow,
} from '#src/messaging/mail/mail-inbox.repository.js';
import { MailIntakeTarget } from '#src/messaging/mail/mail-intake-target.js';

const HOUR_MS = 3600_000;
/** Recipients one SMTP transaction may name (only the incident mailbox is accepted anyway). */
const MAX_RECIPIENTS = 10;
/** Connections still open this long after shutdown began are cut. */
const CLOSE_TIMEOUT_MS = 5_000;
const MAX_ADDRESS = 320;
const MAX_REASON = 500;

/** An SMTP reply for a refused command: `responseCode` is what the client gets. */
function smtpError(responseCode: number, message: string): Error & { responseCode: number } {
  return Object.assign(new Error(message), { responseCode });
}

/** A failure that the sending server should retry (the database is down). */
const TEMPORARY = (): Error => smtpError(451, '4.3.0 Temporary failure, please try again later');

/** What happened to a mail handed to the intake. */
export interface FiledMail {
  /** The inbox row, null for a resend of a mail already filed. */
  id: string | null;
  status: 'accepted' | 'quarantined' | 'duplicate';
}

/**
 * The incident mailbox's SMTP intake (smtp-server), listening on MAIL_INTAKE_HOST:
 * MAIL_INTAKE_PORT when the port is set. No AUTH, no STARTTLS (put it behind the mail gateway,
 * which also checks SPF, DKIM and DMARC: this intake does not). Only MAIL_INTAKE_ADDRESS is a
 * valid recipient (550 otherwise); an envelope sender that filed MAIL_INTAKE_PER_SENDER_PER_HOUR
 * mails in the last hour gets 451; a message over MAIL_INTAKE_MAX_BYTES gets 552 and is not
 * kept (what goes past the limit is read and dropped, never buffered). Each mail is stored raw
 * and parsed in `mail_inbox`: from a sender the directory knows, and whose From header is the
 * envelope sender, it is `accepted` and handed to the incident intake (MailIntakeTarget) in the
 * same transaction; otherwise it is `quarantined` for a responder, with the reason. A mail that
 * cannot be parsed or that the incident intake refuses is quarantined too (250): only a database
 * outage answers 451, so that the sending server retries.
 */
@Injectable()
export class MailIntake implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('MailIntake');
  private server: SMTPServer | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly inbox: MailInboxRepository,
    private readonly directory: PeopleDirectory,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    @Inject(MessagingConfig) private readonly config: MessagingConfig,
    @Optional() private readonly target?: MailIntakeTarget,
  ) {}

  /** The port the intake listens on; undefined when it is off. */
  get port(): number | undefined {
    const address = this.server?.server.address() as AddressInfo | null | undefined;
    return address?.port;
  }

  private get mailbox(): string {
    return (this.config.MAIL_INTAKE_ADDRESS ?? '').toLowerCase();
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.MAIL_INTAKE_PORT === 0) return;
    if (!this.target) {
      this.log.warn('No incident intake is bound: every mail received is quarantined');
    }
    const server = new SMTPServer({
      banner: 'threat-exchange incident mailbox',
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      size: this.config.MAIL_INTAKE_MAX_BYTES,
      maxClients: this.config.MAIL_INTAKE_MAX_CLIENTS,
      socketTimeout: this.config.MAIL_INTAKE_SOCKET_TIMEOUT_MS,
      closeTimeout: CLOSE_TIMEOUT_MS,
      maxRecipients: MAX_RECIPIENTS,
      disableReverseLookup: true,
      logger: false,
      onMailFrom: (address, session, callback) => {
        this.checkSender(address).then(() => callback(), callback);
      },
      onRcptTo: (address, session, callback) => {
        callback(
          address.address.trim().toLowerCase() === this.mailbox
            ? undefined
            : smtpError(550, '5.1.1 No such mailbox here'),
        );
      },
      onData: (stream, session, callback) => this.receive(stream, session, callback),
    });
    server.on('error', (error) => this.log.warn(`SMTP intake: ${error.message}`));
    await new Promise<void>((resolve, reject) => {
      const failed = (error: Error): void => reject(error);
      server.once('error', failed);
      server.listen(this.config.MAIL_INTAKE_PORT, this.config.MAIL_INTAKE_HOST, () => {
        server.off('error', failed);
        resolve();
      });
    });
    this.server = server;
    this.log.log(
      `Incident mailbox ${this.mailbox} listening on ${this.config.MAIL_INTAKE_HOST}:${this.port}`,
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** MAIL FROM: a sender address, within its hourly limit. */
  private async checkSender(address: SMTPServerAddress): Promise<void> {
    const sender = address.address.trim().toLowerCase();
    if (sender === '') throw smtpError(550, '5.7.1 A report needs a sender address');
    if (sender.length > MAX_ADDRESS) throw smtpError(553, '5.1.7 Sender address too long');
    const limit = this.config.MAIL_INTAKE_PER_SENDER_PER_HOUR;
    let count: number;
    try {
      count = await this.inbox.countFromSince(
        sender,
        new Date(this.clock.now().getTime() - HOUR_MS),
      );
    } catch (error) {
      this.log.warn(`SMTP intake: cannot check the sender's limit: ${String(error)}`);
      throw TEMPORARY();
    }
    if (count >= limit) {
      throw smtpError(
        451,
        `4.7.1 Too many reports from this sender in the last hour (limit ${limit}); try again later`,
      );
    }
  }

  /** DATA: read at most MAIL_INTAKE_MAX_BYTES (the rest is dropped), then file the mail. */
  private receive(
    stream: SMTPServerDataStream,
    session: SMTPServerSession,
    callback: (error?: Error | null, message?: string) => void,
  ): void {
    const max = this.config.MAIL_INTAKE_MAX_BYTES;
    const chunks: Buffer[] = [];
    let kept = 0;
    let tooLarge = false;
    let answered = false;
    const answer = (error: Error | null, message?: string): void => {
      if (answered) return;
      answered = true;
      callback(error, message);
    };
    stream.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      if (kept + chunk.length > max) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
      kept += chunk.length;
    });
    stream.on('error', (error: Error) => answer(error));
    stream.on('end', () => {
      if (tooLarge || stream.sizeExceeded) {
        answer(smtpError(552, `5.3.4 Message larger than ${max} bytes`));
        return;
      }
      const sender = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
      this.file(Buffer.concat(chunks, kept), sender.trim().toLowerCase()).then(
        (filed) => answer(null, filed.id ? `OK: received as ${filed.id}` : 'OK: already received'),
        (error: unknown) => {
          this.log.error(`SMTP intake: a mail from ${sender} was not stored: ${String(error)}`);
          answer(TEMPORARY());
        },
      );
    });
  }

  /**
   * Stores one received mail (raw, parsed, vetted) and hands it to the incident intake when its
   * sender is known. Throws only when it could not be stored (the database is down).
   */
  async file(raw: Buffer, envelopeFrom: string): Promise<FiledMail> {
    const receivedAt = this.clock.now();
    const rawSha256 = createHash('sha256').update(raw).digest('hex');
    let content: MailContent | undefined;
    let problem: string | undefined;
    try {
      content = await parseMail(raw);
    } catch (error) {
      problem = `the mail could not be parsed: ${errorText(error)}`;
    }
    const base: NewInboxRow = {
      messageId: content?.messageId ?? null,
      fromAddress: envelopeFrom,
      headerFrom: content?.fromText ?? null,
      toAddresses: content?.to ?? [],
      subject: content?.subject ?? '',
      body: content?.text ?? '',
      raw,
      rawSha256,
      receivedAt,
      status: 'quarantined',
      reason: null,
      organizationId: null,
      userId: null,
      attachments: content?.attachmentList ?? [],
    };
    if (content && problem === undefined) {
      const from = content.fromAddresses;
      const gateway = this.config.MAIL_INTAKE_TRUSTED_AUTHSERV_ID;
      if (from.length !== 1 || from[0] !== envelopeFrom) {
        problem = `the From header (${from.join(', ') || 'none'}) is not the envelope sender (${envelopeFrom})`;
      } else if (content.automatic) {
        problem = 'an automatic message (Auto-Submitted, Precedence or X-Autoreply)';
      } else if (envelopeFrom === this.config.MAIL_FROM.toLowerCase()) {
        problem = 'a notice of this service (MAIL_FROM)';
      } else if (gateway && !dmarcPassedBy(content.authenticationResults, gateway)) {
        problem = `not authenticated by the mail gateway (no dmarc=pass from ${gateway})`;
      }
    }
    const owner = problem === undefined ? await this.directory.ownerOf(envelopeFrom) : null;
    if (problem === undefined && !owner) problem = 'unknown sender';
    if (problem === undefined && !this.target) problem = 'no incident intake';
    if (problem === undefined && content && owner && this.target) {
      const target = this.target;
      const known = content;
      try {
        return await this.dataSource.transaction(async (manager): Promise<FiledMail> => {
          const id = await this.inbox.insert(manager, {
            ...base,
            status: 'accepted',
            organizationId: owner.organizationId,
            userId: owner.userId,
          });
          if (id === null) return { id: null, status: 'duplicate' };
          const { incidentId } = await target.fromMail(manager, {
            inboxId: id,
            organizationId: owner.organizationId,
            userId: owner.userId,
            fromAddress: envelopeFrom,
            subject: known.subject,
            text: known.text,
            attachments: known.attachments,
            receivedAt,
          });
          await this.inbox.setIncident(manager, id, incidentId);
          await this.recordReceipt(manager, id, 'accepted', base, null, incidentId);
          this.log.log(`mail ${id} from ${envelopeFrom} accepted: incident ${incidentId}`);
          return { id, status: 'accepted' };
        });
      } catch (error) {
        if (isDatabaseUnavailable(error)) throw error;
        problem = `the incident intake failed: ${errorText(error)}`;
        this.log.warn(`mail from ${envelopeFrom}: ${problem}`);
      }
    }
    const reason = storableText(problem ?? 'quarantined', MAX_REASON);
    return this.dataSource.transaction(async (manager): Promise<FiledMail> => {
      const id = await this.inbox.insert(manager, {
        ...base,
        reason,
        organizationId: owner?.organizationId ?? null,
        userId: owner?.userId ?? null,
      });
      if (id === null) return { id: null, status: 'duplicate' };
      await this.recordReceipt(manager, id, 'quarantined', base, reason, null);
      this.log.log(`mail ${id} from ${envelopeFrom} quarantined: ${reason}`);
      return { id, status: 'quarantined' };
    });
  }

  private recordReceipt(
    manager: Parameters<AuditLog['record']>[0],
    id: string,
    status: 'accepted' | 'quarantined',
    row: NewInboxRow,
    reason: string | null,
    incidentId: string | null,
  ): Promise<void> {
    return this.audit.record(manager, {
      actor: 'system',
      action: 'mail.receive',
      objectType: 'mail_inbox',
      objectId: id,
      summary: {
        status,
        from: row.fromAddress,
        subject: row.subject,
        sha256: row.rawSha256,
        sizeBytes: row.raw.length,
        ...(reason === null ? {} : { reason }),
        ...(incidentId === null ? {} : { incidentId }),
      },
    });
  }
}

function errorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 300);
}
