import { createServer, type AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { createTransport } from 'nodemailer';
import { SMTPServer } from 'smtp-server';

/** A mail the sink received: the parsed message and its SMTP envelope. */
export interface SinkMessage {
  envelope: { from: string; to: string[] };
  parsed: ParsedMail;
  raw: Buffer;
}

export interface SmtpSink {
  /** `smtp://127.0.0.1:PORT`, for SMTP_URL. */
  url: string;
  port: number;
  /** Every mail received so far, in order. */
  messages: SinkMessage[];
  /** Recipients matching this are refused with 550 (a permanent rejection); null: none. */
  rejectRecipients: RegExp | null;
  /** The first message matching `predicate`, waiting up to `timeoutMs` for it. */
  waitFor(predicate: (m: SinkMessage) => boolean, timeoutMs?: number): Promise<SinkMessage>;
  close(): Promise<void>;
}

/**
 * A real SMTP server (smtp-server) on 127.0.0.1 (an ephemeral port unless `port` is given) that
 * accepts every mail, parses it with mailparser's simpleParser and keeps it: the tests' mail
 * receiver. No AUTH, no TLS.
 */
export async function startSmtpSink(options: { port?: number } = {}): Promise<SmtpSink> {
  const messages: SinkMessage[] = [];
  const waiters = new Set<() => void>();
  let closing: Promise<void> | undefined;
  const sink: SmtpSink = {
    url: '',
    port: 0,
    messages,
    rejectRecipients: null,
    waitFor(predicate, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const found = messages.find(predicate);
          if (found) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(found);
          }
          return found !== undefined;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(`no matching mail within ${timeoutMs} ms (${messages.length} received)`),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => {
      closing ??= new Promise<void>((resolve) => server.close(() => resolve()));
      return closing;
    },
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    disableReverseLookup: true,
    closeTimeout: 100,
    logger: false,
    onRcptTo(address, _session, callback) {
      if (sink.rejectRecipients?.test(address.address)) {
        callback(Object.assign(new Error('5.1.1 Mailbox unavailable'), { responseCode: 550 }));
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then(
          (parsed) => {
            messages.push({
              envelope: {
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
                to: session.envelope.rcptTo.map((r) => r.address),
              },
              parsed,
              raw,
            });
            for (const waiter of [...waiters]) waiter();
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  sink.port = (server.server.address() as AddressInfo).port;
  sink.url = `smtp://127.0.0.1:${sink.port}`;
  return sink;
}

/** A TCP port free on 127.0.0.1 at the time of the call. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export interface MailToSend {
  from: string;
  to: string | string[];
  subject: string;
  text: string;
  attachments?: { filename: string; content: Buffer | string; contentType?: string }[];
  /** The SMTP envelope's MAIL FROM, when it should differ from the From header. */
  envelopeFrom?: string;
  messageId?: string;
  /** Extra headers (e.g. `Auto-Submitted`, `Authentication-Results`). */
  headers?: Record<string, string>;
}

/**
 * Sends one mail over SMTP (nodemailer, no pool, no TLS) to 127.0.0.1:`port`. Resolves with the
 * server's answer; rejects with nodemailer's error (its `responseCode` is the SMTP reply code).
 */
export async function sendMail(
  port: number,
  mail: MailToSend,
): Promise<{ messageId: string; response: string }> {
  const transport = createTransport({
    host: '127.0.0.1',
    port,
    secure: false,
    ignoreTLS: true,
    connectionTimeout: 5000,
    greetingTimeout: 5000,
    socketTimeout: 10000,
  });
  try {
    const info = await transport.sendMail({
      from: mail.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      attachments: mail.attachments,
      messageId: mail.messageId,
      headers: mail.headers,
      envelope: {
        from: mail.envelopeFrom ?? mail.from,
        to: Array.isArray(mail.to) ? mail.to : [mail.to],
      },
    });
    return { messageId: info.messageId, response: info.response };
  } finally {
    transport.close();
  }
}
