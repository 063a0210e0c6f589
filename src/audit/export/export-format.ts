import {
  type AuditEventFields,
  type ChainedEvent,
  type SignedCheckpoint,
} from '#src/audit/trail/chain.js';
import { canonicalJson } from '#src/platform/json/index.js';

/**
 * The audit export's format (docs/audit.md#exports): what the exporter writes and the offline
 * verifier reads. Node built-ins and chain.ts only, so that the verifier loads nothing else.
 *
 * export.zip
 *   events.jsonl   the selected events, one per line: JCS of {seq, hash, ...hashed fields}
 *   events.csv     the same events for people (titles in Vietnamese or English)
 *   chain.csv      `seq,digest,hash` of EVERY event from the first selected one to the
 *                  checkpoint's size: events outside the filter appear only as digests
 *   manifest.json  files (SHA-256, bytes), filters, range, the checkpoint, the key id
 *   manifest.sig   Ed25519 over the JCS of manifest.json's object, base64url
 *   public-key.pem the signing key, for convenience only: the verifier never trusts it
 */

export const EXPORT_FORMAT = 'threat-exchange-audit-export';
export const EXPORT_VERSION = 1;

export const EVENTS_JSONL = 'events.jsonl';
export const EVENTS_CSV = 'events.csv';
export const CHAIN_CSV = 'chain.csv';
export const MANIFEST = 'manifest.json';
export const MANIFEST_SIGNATURE = 'manifest.sig';
export const PUBLIC_KEY = 'public-key.pem';

/** The files the manifest lists (with their SHA-256), in the order they are written. */
export const DATA_FILES = [EVENTS_JSONL, EVENTS_CSV, CHAIN_CSV] as const;
/** Files an export holds besides the listed ones. */
export const UNLISTED_FILES = [MANIFEST, MANIFEST_SIGNATURE, PUBLIC_KEY] as const;

export const CHAIN_HEADER = 'seq,digest,hash';

export type CsvLanguage = 'vi' | 'en';
export const CSV_LANGUAGES: readonly CsvLanguage[] = ['vi', 'en'];

/** events.csv's column titles, in the order of eventCsvRow(). */
export const EVENT_CSV_COLUMNS: Record<CsvLanguage, readonly string[]> = {
  vi: [
    'Số thứ tự',
    'Thời điểm (UTC)',
    'Loại tác nhân',
    'Mã tác nhân',
    'Tổ chức của tác nhân',
    'Vai trò',
    'Hành động',
    'Loại đối tượng',
    'Mã đối tượng',
    'Tóm tắt',
    'Mã yêu cầu HTTP',
    'Địa chỉ IP',
    'Mã băm chuỗi',
  ],
  en: [
    'Sequence',
    'Time (UTC)',
    'Actor type',
    'Actor ID',
    "Actor's organization",
    'Roles',
    'Action',
    'Object type',
    'Object ID',
    'Summary',
    'HTTP request ID',
    'IP address',
    'Chain hash',
  ],
};

/** What the export holds: null filters were not given. */
export interface ExportFilters {
  /** Events at or after (ISO 8601 UTC). */
  from: string | null;
  /** Events before. */
  to: string | null;
  /** Events by or about this organization (docs/audit.md#what-an-organization-export-holds). */
  organizationId: string | null;
  /** Events on this blocking request, its items, assignments, confirmations and receipts. */
  blockingRequestId: string | null;
  /** The whole trail, asked for explicitly (no other filter). */
  all: boolean;
}

export interface ManifestFile {
  name: string;
  /** Lowercase hex. */
  sha256: string;
  bytes: number;
  /** How many events (lines or rows after the header) it holds. */
  events: number;
}

export interface ExportManifest {
  format: typeof EXPORT_FORMAT;
  version: typeof EXPORT_VERSION;
  /** The export's id: the `objectId` of its `audit.export` event. */
  id: string;
  createdAt: string;
  exportedBy: { actorType: string; actorId: string | null; organizationId: string | null };
  filters: ExportFilters;
  csv: { language: CsvLanguage; bom: boolean };
  range: {
    /** The first selected event (checkpoint.size + 1 when none was). */
    firstSeq: number;
    /** = checkpoint.size: chain.csv runs from firstSeq to here. */
    lastSeq: number;
    /** hash(firstSeq − 1), hex; 64 zeros when firstSeq is 1. */
    previousHash: string;
  };
  files: ManifestFile[];
  /** The checkpoint signed for this export, in the transaction that read the files. */
  checkpoint: SignedCheckpoint;
  /** The audit key that signed the manifest and the checkpoint (RFC 7638 thumbprint). */
  keyId: string;
}

/** The hashed fields of an event, picked (a line may carry nothing else). */
export function hashedFields(event: AuditEventFields): AuditEventFields {
  return {
    at: event.at,
    actorType: event.actorType,
    actorId: event.actorId,
    organizationId: event.organizationId,
    roles: event.roles,
    action: event.action,
    objectType: event.objectType,
    objectId: event.objectId,
    summary: event.summary,
    requestId: event.requestId,
    clientIp: event.clientIp,
  };
}

/** The keys of an events.jsonl line: seq, hash and the hashed fields. */
export const EVENT_LINE_KEYS: readonly string[] = [
  'seq',
  'hash',
  'at',
  'actorType',
  'actorId',
  'organizationId',
  'roles',
  'action',
  'objectType',
  'objectId',
  'summary',
  'requestId',
  'clientIp',
];

/** An events.jsonl line (without its LF): the JCS of the event with its seq and hash. */
export function eventLine(event: ChainedEvent): string {
  return canonicalJson({ seq: event.seq, hash: event.hash, ...hashedFields(event) });
}

/** A chain.csv line (without its LF). */
export function chainLine(seq: number, digestHex: string, hashHex: string): string {
  return `${seq},${digestHex},${hashHex}`;
}

/** An events.csv row, in the order of EVENT_CSV_COLUMNS; the summary as its JCS. */
export function eventCsvRow(event: ChainedEvent): (string | number | null)[] {
  return [
    event.seq,
    event.at,
    event.actorType,
    event.actorId,
    event.organizationId,
    event.roles.join(', '),
    event.action,
    event.objectType,
    event.objectId,
    canonicalJson(event.summary),
    event.requestId,
    event.clientIp,
    event.hash,
  ];
}

/** manifest.json's bytes: indented for people; the signature is over its JCS, not these bytes. */
export function manifestBytes(manifest: ExportManifest): Buffer {
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
}

/** `2026-11-28T10:00:00.000Z` → `20261128T100000Z`, for file names. */
export function compactTime(iso: string): string {
  return iso.replace(/[-:]/g, '').replace(/\.\d+/, '');
}
