import { fileTypeFromBuffer } from 'file-type';

/** The media types an incident report's attachment may have. */
export const ATTACHMENT_TYPES = [
  'text/plain',
  'text/csv',
  'application/json',
  'application/pdf',
  'image/png',
  'image/jpeg',
  'application/zip',
  'application/vnd.tcpdump.pcap',
] as const;
export type AttachmentType = (typeof ATTACHMENT_TYPES)[number];

/** Types whose content must be UTF-8 text (served back as text/plain, never rendered). */
const TEXT_TYPES: ReadonlySet<string> = new Set(['text/plain', 'text/csv', 'application/json']);

const MAX_FILENAME = 200;

/** The declared type, lower case and without parameters, if it is an accepted one. */
export function attachmentType(header: string | undefined): AttachmentType | undefined {
  const mediaType = (header ?? '').split(';')[0].trim().toLowerCase();
  return ATTACHMENT_TYPES.find((t) => t === mediaType);
}

export function isTextType(type: string): boolean {
  return TEXT_TYPES.has(type);
}

/**
 * Why `content` is not what `type` says, or undefined when it is: text types must be valid
 * UTF-8 (a BOM allowed) without NUL; binary types must carry their signature, as detected by
 * file-type (zip by its local-header or end-of-directory signature, so that any zip-based file
 * passes as a zip).
 */
export async function contentMismatch(
  type: AttachmentType,
  content: Buffer,
): Promise<string | undefined> {
  if (isTextType(type)) {
    try {
      const text = new TextDecoder('utf-8', { fatal: true }).decode(content);
      if (text.includes('\u0000')) return `a ${type} attachment cannot contain NUL characters`;
    } catch {
      return `a ${type} attachment must be UTF-8 text`;
    }
    return undefined;
  }
  if (type === 'application/zip') {
    const magic = content.subarray(0, 4).toString('latin1');
    return ['PK\u0003\u0004', 'PK\u0005\u0006', 'PK\u0007\u0008'].includes(magic)
      ? undefined
      : 'the content is not a zip archive';
  }
  const detected = await fileTypeFromBuffer(content);
  if (detected?.mime === type) return undefined;
  return detected
    ? `the content is ${detected.mime}, not ${type}`
    : `the content is not ${type} (its signature is missing)`;
}

/**
 * A file name safe to store and to send back: its last path segment, without control or
 * bidirectional formatting characters, trimmed, at most 200 characters; `attachment` if
 * nothing is left.
 */
export function safeFilename(raw: string | undefined): string {
  const last = (raw ?? '').split(/[/\\]/).pop() ?? '';
  const cleaned = last
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '')
    .trim()
    .replace(/^\.+$/, '');
  return [...cleaned].slice(0, MAX_FILENAME).join('').trim() || 'attachment';
}

/**
 * `Content-Disposition: attachment` with an ASCII fallback name and the exact one as an RFC
 * 5987 `filename*` (UTF-8, percent-encoded).
 */
export function attachmentDisposition(filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\%;]/g, '_');
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/** The type an attachment is served with: text as text/plain (never rendered), others as stored. */
export function servedType(type: string): string {
  return isTextType(type) ? 'text/plain; charset=utf-8' : type;
}
