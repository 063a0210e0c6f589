import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { storableText } from '#src/platform/json/index.js';
import type { IntakeAttachment } from '#src/messaging/mail/mail-intake-target.js';

/** An attachment handed to the incident intake is at most this large… */
export const MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024;
/** …and at most this many are handed over (the rest are listed, skipped). */
export const MAX_ATTACHMENTS = 10;
/** Attachments listed in the inbox row at most (a mail of 1,000 tiny parts lists the first). */
export const MAX_LISTED_ATTACHMENTS = 50;
export const MAX_SUBJECT = 300;
export const MAX_BODY = 100_000;
export const MAX_ADDRESSES = 50;
const MAX_ADDRESS = 320;
const MAX_MESSAGE_ID = 500;
const MAX_FILENAME = 200;
const MAX_CONTENT_TYPE = 100;
/** MIME parts a mail may have; more is a parse error (the mail is quarantined, unparsed). */
const MAX_MIME_PARTS = 200;
/** HTML longer than this (characters) is not turned into text when the mail has no text part. */
const MAX_HTML_TO_TEXT = 2_000_000;

/** What the inbox row lists of an attachment; `skipped` says why it was not handed over. */
export interface AttachmentMeta {
  filename: string;
  contentType: string;
  size: number;
  skipped?: string;
}

/** A received mail, parsed and bounded: what the inbox row keeps and the incident intake gets. */
export interface MailContent {
  /** The Message-ID header (angle brackets included), null when absent. */
  messageId: string | null;
  /** Addresses of the From header, lower-case (normally one). */
  fromAddresses: string[];
  /** The From header as written (display names included), bounded. */
  fromText: string | null;
  /** Addresses of the To and Cc headers, lower-case, at most 50. */
  to: string[];
  subject: string;
  /** The text part (or the HTML part as text), bounded. */
  text: string;
  /** Handed to the incident intake: within the per-file and count limits. */
  attachments: IntakeAttachment[];
  /** Every attachment (up to 50), the skipped ones with their reason. */
  attachmentList: AttachmentMeta[];
  /**
   * An automatic message (RFC 3834 `Auto-Submitted` other than `no`, `Precedence: bulk, junk,
   * list or auto_reply`, `X-Autoreply`): an out-of-office answer to a notice must not file a
   * report that sends another notice.
   */
  automatic: boolean;
  /** The `Authentication-Results` headers (RFC 8601) as written, at most 20. */
  authenticationResults: string[];
}

/** One header's values as text (mailparser keeps structured values for some). */
function headerTexts(value: unknown): string[] {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.map((v) =>
    typeof v === 'string'
      ? v
      : typeof v === 'object' && v !== null && 'value' in v
        ? String((v as { value: unknown }).value)
        : String(v),
  );
}

/** Whether an `Authentication-Results` header of `authservId` says `dmarc=pass` (RFC 8601, RFC 7489). */
export function dmarcPassedBy(results: readonly string[], authservId: string): boolean {
  const id = authservId.trim().toLowerCase();
  return results.some((header) => {
    const [first, ...rest] = header.split(';');
    return (
      first.trim().split(/\s+/)[0]?.toLowerCase() === id &&
      rest.some((part) => /^\s*dmarc\s*=\s*pass\b/i.test(part))
    );
  });
}

function addresses(value: AddressObject | AddressObject[] | undefined): string[] {
  const objects = value === undefined ? [] : Array.isArray(value) ? value : [value];
  const out: string[] = [];
  const walk = (list: AddressObject['value']): void => {
    for (const a of list) {
      if (a.address) out.push(a.address.trim().toLowerCase().slice(0, MAX_ADDRESS));
      if (a.group) walk(a.group);
    }
  };
  for (const o of objects) walk(o.value);
  return out;
}

/**
 * A file name safe to store and show: the last path segment, without control or shell-special
 * characters, at most 200 characters (the extension kept), never empty.
 */
export function sanitizeFilename(name: string | undefined, index: number): string {
  const fallback = `attachment-${index + 1}`;
  if (!name) return fallback;
  let clean = name
    .normalize('NFC')
    .toWellFormed()
    .split(/[/\\]/)
    .pop()!
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f<>:"|?*\u202a-\u202e\u2066-\u2069]/g, '_')
    .replace(/^[\s.]+|[\s.]+$/g, '');
  if (clean.length > MAX_FILENAME) {
    const dot = clean.lastIndexOf('.');
    const ext = dot > 0 && clean.length - dot <= 16 ? clean.slice(dot) : '';
    clean = clean.slice(0, MAX_FILENAME - ext.length) + ext;
  }
  return clean === '' ? fallback : clean;
}

function contentTypeOf(value: string | undefined): string {
  const type = (value ?? '').trim().toLowerCase();
  return /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$/.test(type) &&
    type.length <= MAX_CONTENT_TYPE
    ? type
    : 'application/octet-stream';
}

function attachmentsOf(parsed: ParsedMail): Pick<MailContent, 'attachments' | 'attachmentList'> {
  const attachments: IntakeAttachment[] = [];
  const attachmentList: AttachmentMeta[] = [];
  parsed.attachments.forEach((a, i) => {
    const filename = sanitizeFilename(a.filename, i);
    const contentType = contentTypeOf(a.contentType);
    const size = a.content.length;
    const meta: AttachmentMeta = { filename, contentType, size };
    if (size > MAX_ATTACHMENT_BYTES) {
      meta.skipped = `larger than ${MAX_ATTACHMENT_BYTES} bytes`;
    } else if (attachments.length >= MAX_ATTACHMENTS) {
      meta.skipped = `more than ${MAX_ATTACHMENTS} attachments`;
    } else {
      attachments.push({ filename, contentType, content: a.content });
    }
    if (attachmentList.length < MAX_LISTED_ATTACHMENTS) attachmentList.push(meta);
  });
  return { attachments, attachmentList };
}

/**
 * Parses a raw mail (mailparser's simpleParser, with bounds on MIME parts, header size and the
 * HTML it converts) into bounded, storable fields. Throws when the mail cannot be parsed.
 */
export async function parseMail(raw: Buffer): Promise<MailContent> {
  const parsed = await simpleParser(raw, {
    maxChildNodes: MAX_MIME_PARTS,
    maxHtmlLengthToParse: MAX_HTML_TO_TEXT,
    skipTextToHtml: true,
    skipImageLinks: true,
    keepCidLinks: true,
    checksumAlgo: false,
  });
  const text = parsed.text ?? '';
  const messageId = parsed.messageId?.trim();
  return {
    messageId: messageId ? storableText(messageId, MAX_MESSAGE_ID) : null,
    fromAddresses: addresses(parsed.from),
    fromText: parsed.from?.text ? storableText(parsed.from.text, 1000) : null,
    to: [...new Set([...addresses(parsed.to), ...addresses(parsed.cc)])].slice(0, MAX_ADDRESSES),
    subject: storableText((parsed.subject ?? '').replace(/[\r\n]+/g, ' ').trim(), MAX_SUBJECT),
    text: storableText(text, MAX_BODY),
    ...attachmentsOf(parsed),
    automatic:
      headerTexts(parsed.headers.get('auto-submitted')).some((v) => !/^\s*no\b/i.test(v)) ||
      headerTexts(parsed.headers.get('precedence')).some((v) =>
        /^\s*(bulk|junk|list|auto_reply)\b/i.test(v),
      ) ||
      parsed.headers.has('x-autoreply') ||
      parsed.headers.has('x-autorespond'),
    authenticationResults: headerTexts(parsed.headers.get('authentication-results'))
      .slice(0, 20)
      .map((v) => v.slice(0, 2000)),
  };
}
