import type { KeyObject } from 'node:crypto';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import yauzl from 'yauzl';
import {
  auditKeyId,
  ChainWalk,
  checkpointSignatureValid,
  documentSignatureValid,
  parseCheckpoint,
  type AuditEventFields,
  type ChainBreak,
  type SignedCheckpoint,
} from '#src/audit/trail/chain.js';
import { canonicalJson } from '#src/platform/json/index.js';
import {
  CHAIN_CSV,
  CHAIN_HEADER,
  CSV_LANGUAGES,
  DATA_FILES,
  EVENT_CSV_COLUMNS,
  EVENT_LINE_KEYS,
  eventCsvRow,
  EVENTS_CSV,
  EVENTS_JSONL,
  EXPORT_FORMAT,
  EXPORT_VERSION,
  hashedFields,
  MANIFEST,
  MANIFEST_SIGNATURE,
  UNLISTED_FILES,
  type ExportManifest,
} from '#src/audit/export/export-format.js';
import { csvCellText } from '#src/platform/csv/index.js';

/**
 * The offline verifier of audit exports (docs/audit.md#verifying-an-export): no database, no
 * application, only the export and the public key its reader got from the Department.
 *
 * Checks, in this order, stopping at the first failure:
 *  1. the archive opens and holds manifest.json and manifest.sig;
 *  2. the manifest was signed by the key given (its id is the key's RFC 7638 thumbprint);
 *  3. the checkpoint in it is signed by that key and ends the manifest's range;
 *  4. every listed file is there with its SHA-256 and size, and nothing else is;
 *  5. chain.csv links from range.previousHash, event after event, and every events.jsonl line
 *     gives its event's digest and hash;
 *  6. the chain ends at the checkpoint's size with its head (and passes through any checkpoint
 *     held independently, `--checkpoint`);
 *  7. events.csv holds the same events as events.jsonl.
 */

/** Which check failed: the verifier's `--json` output names it. */
export type CheckName =
  | 'archive'
  | 'manifest'
  | 'key'
  | 'manifest-signature'
  | 'checkpoint-signature'
  | 'independent-checkpoint'
  | 'files'
  | 'chain'
  | 'events'
  | 'checkpoint'
  | 'csv';

/** The export does not verify: `message` says where and why. */
export class VerificationFailure extends Error {
  constructor(
    readonly check: CheckName,
    message: string,
  ) {
    super(message);
    this.name = 'VerificationFailure';
  }
}

/** The verifier was called wrongly (no such file, not a key…): not a verdict on the export. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface VerifyOptions {
  /** The Department's audit public key, obtained independently of the export. */
  publicKey: KeyObject;
  /** Checkpoints held independently (an ISP's `X-Audit-Checkpoint` headers): the chain must pass through them. */
  checkpoints?: SignedCheckpoint[];
}

export interface VerifiedExport {
  id: string;
  createdAt: string;
  filters: ExportManifest['filters'];
  keyId: string;
  /** Events exported with their content (events.jsonl). */
  events: number;
  /** Events in chain.csv (from range.firstSeq to range.lastSeq). */
  chainEvents: number;
  range: ExportManifest['range'];
  checkpoint: { size: number; head: string; time: string };
  /** How many `--checkpoint`s the chain passed through. */
  independentCheckpoints: number;
}

const HEX64 = /^[0-9a-f]{64}$/;
const SIGNATURE = /^[A-Za-z0-9_-]{86}$/;
const CHAIN_LINE = /^([1-9]\d{0,15}),([0-9a-f]{64}),([0-9a-f]{64})$/;
const ZERO_HASH = '0'.repeat(64);
/** manifest.json and manifest.sig are small; anything bigger is not ours. */
const MAX_MANIFEST_BYTES = 1 << 20;

function fail(check: CheckName, message: string): never {
  throw new VerificationFailure(check, message);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------------------------
// Where the files are: a ZIP archive or a folder (an export unzipped by hand).

interface ExportSource {
  /** Every entry's name (folders end with `/`). */
  readonly names: string[];
  open(name: string): Promise<Readable>;
  close(): Promise<void>;
}

/** Streams opened from a source, destroyed when it closes (a check that failed half-way). */
class OpenStreams {
  private readonly streams: Readable[] = [];

  add(stream: Readable): Readable {
    this.streams.push(stream);
    return stream;
  }

  destroy(): void {
    for (const stream of this.streams) stream.destroy();
  }
}

async function folderSource(dir: string): Promise<ExportSource> {
  const entries = await readdir(dir, { withFileTypes: true });
  const streams = new OpenStreams();
  return {
    names: entries.map((e) => (e.isDirectory() ? `${e.name}/` : e.name)),
    open: async (name) => streams.add(createReadStream(path.join(dir, name))),
    close: async () => streams.destroy(),
  };
}

async function zipSource(file: string): Promise<ExportSource> {
  const label = path.basename(file);
  let zip: yauzl.ZipFile;
  const entries = new Map<string, yauzl.Entry>();
  const names: string[] = [];
  try {
    zip = await yauzl.openPromise(file, {
      lazyEntries: true,
      autoClose: false,
      strictFileNames: true,
      validateEntrySizes: true,
    });
    for await (const entry of zip.eachEntry()) {
      if (entries.has(entry.fileName)) {
        fail('archive', `${label} holds two entries named ${entry.fileName}`);
      }
      entries.set(entry.fileName, entry);
      names.push(entry.fileName);
    }
  } catch (error) {
    if (error instanceof VerificationFailure) throw error;
    fail(
      'archive',
      `${label} is not a readable ZIP archive (truncated or damaged): ${errorText(error)}`,
    );
  }
  const streams = new OpenStreams();
  return {
    names,
    open: async (name) => {
      const entry = entries.get(name);
      if (entry === undefined) throw new Error(`no entry ${name}`);
      return streams.add(await zip.openReadStreamPromise(entry));
    },
    close: async () => {
      streams.destroy();
      zip.close();
    },
  };
}

async function openSource(location: string): Promise<ExportSource> {
  const info = await stat(location).catch(() => undefined);
  if (info === undefined) throw new UsageError(`${location}: no such file or folder`);
  return info.isDirectory() ? folderSource(location) : zipSource(location);
}

/** Reads a whole (small) entry, refusing more than `limit` bytes. */
async function readSmall(source: ExportSource, name: string, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of await source.open(name)) {
    size += (chunk as Buffer).length;
    if (size > limit) fail('manifest', `${name} is larger than ${limit} bytes: not an export's`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The lines of an entry (LF or CRLF), numbered from 1. */
async function* linesOf(
  source: ExportSource,
  name: string,
): AsyncGenerator<{ line: number; text: string }> {
  const lines = createInterface({ input: await source.open(name), crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) yield { line: ++line, text };
}

// ---------------------------------------------------------------------------------------------
// 1–3. The manifest, its signature and its checkpoint.

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCheckpoint(value: unknown): value is SignedCheckpoint {
  try {
    parseCheckpoint(value);
    return true;
  } catch {
    return false;
  }
}

/** The parts of a signed manifest the verifier relies on; anything else is a bad manifest. */
function checkManifestShape(m: Record<string, unknown>): ExportManifest {
  const bad = (what: string): never => fail('manifest', `manifest.json: ${what}`);
  if (typeof m.id !== 'string' || typeof m.createdAt !== 'string') bad('id or createdAt missing');
  if (!isObject(m.filters)) bad('filters missing');
  const csv = m.csv;
  if (
    !isObject(csv) ||
    !CSV_LANGUAGES.includes(csv.language as 'vi') ||
    typeof csv.bom !== 'boolean'
  ) {
    bad('csv must be {language: vi|en, bom: boolean}');
  }
  const range = m.range;
  if (
    !isObject(range) ||
    !Number.isSafeInteger(range.firstSeq) ||
    !Number.isSafeInteger(range.lastSeq) ||
    typeof range.previousHash !== 'string' ||
    !HEX64.test(range.previousHash)
  ) {
    bad('range must be {firstSeq, lastSeq, previousHash (64 hex digits)}');
  }
  if (!isCheckpoint(m.checkpoint)) bad('checkpoint is not a signed checkpoint');
  const files = m.files;
  if (
    !Array.isArray(files) ||
    !files.every(
      (f) =>
        isObject(f) &&
        typeof f.name === 'string' &&
        typeof f.sha256 === 'string' &&
        HEX64.test(f.sha256) &&
        Number.isSafeInteger(f.bytes) &&
        Number.isSafeInteger(f.events),
    )
  ) {
    bad('files must list {name, sha256, bytes, events}');
  }
  return m as unknown as ExportManifest;
}

async function readManifest(source: ExportSource, publicKey: KeyObject): Promise<ExportManifest> {
  if (!source.names.includes(MANIFEST)) {
    fail('manifest', `${MANIFEST} is missing: this is not an audit export`);
  }
  if (!source.names.includes(MANIFEST_SIGNATURE)) {
    fail('manifest-signature', `${MANIFEST_SIGNATURE} is missing: the manifest is not signed`);
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(await readSmall(source, MANIFEST, MAX_MANIFEST_BYTES));
  } catch (error) {
    if (error instanceof VerificationFailure) throw error;
    fail('manifest', `${MANIFEST} is not valid JSON: ${errorText(error)}`);
  }
  if (!isObject(manifest) || manifest.format !== EXPORT_FORMAT) {
    fail('manifest', `${MANIFEST} is not an audit export manifest (format ${EXPORT_FORMAT})`);
  }
  if (manifest.version !== EXPORT_VERSION) {
    fail(
      'manifest',
      `${MANIFEST} is of version ${String(manifest.version)}; this verifier reads version ${EXPORT_VERSION}`,
    );
  }
  if (typeof manifest.keyId !== 'string') fail('manifest', `${MANIFEST} names no keyId`);
  const given = auditKeyId(publicKey);
  if (manifest.keyId !== given) {
    fail(
      'key',
      `the export was signed with audit key ${manifest.keyId}, but the public key given is key ${given}: verify with the Department's audit public key of that id`,
    );
  }
  const signature = (await readSmall(source, MANIFEST_SIGNATURE, 1024)).trim();
  if (!SIGNATURE.test(signature)) {
    fail(
      'manifest-signature',
      `${MANIFEST_SIGNATURE} is not an Ed25519 signature (86 base64url characters)`,
    );
  }
  let valid: boolean;
  try {
    valid = documentSignatureValid(manifest, signature, publicKey);
  } catch {
    valid = false;
  }
  if (!valid) {
    fail(
      'manifest-signature',
      `the manifest signature does not verify with audit key ${given}: ${MANIFEST} was altered after it was signed, or ${MANIFEST_SIGNATURE} is not its signature`,
    );
  }
  return checkManifestShape(manifest);
}

function checkCheckpoints(
  manifest: ExportManifest,
  publicKey: KeyObject,
  independent: SignedCheckpoint[],
): void {
  const { checkpoint, range, keyId } = manifest;
  const described = (cp: SignedCheckpoint) => `${cp.size} events, signed at ${cp.time}`;
  if (checkpoint.keyId !== keyId) {
    fail(
      'checkpoint-signature',
      `the checkpoint (${described(checkpoint)}) names audit key ${checkpoint.keyId}, not the manifest's key ${keyId}`,
    );
  }
  if (!checkpointSignatureValid(checkpoint, publicKey)) {
    fail(
      'checkpoint-signature',
      `the checkpoint in the manifest (${described(checkpoint)}) does not verify with audit key ${keyId}`,
    );
  }
  if (range.lastSeq !== checkpoint.size) {
    fail(
      'manifest',
      `the manifest's range ends at event ${range.lastSeq} but its checkpoint covers ${checkpoint.size} events`,
    );
  }
  if (range.firstSeq < 1 || range.firstSeq > range.lastSeq + 1) {
    fail(
      'manifest',
      `the manifest's range starts at event ${range.firstSeq}, outside 1–${range.lastSeq + 1}`,
    );
  }
  if (range.firstSeq === 1 && range.previousHash !== ZERO_HASH) {
    fail('manifest', 'the range starts at event 1 but its previousHash is not 64 zeros');
  }
  for (const cp of independent) {
    if (cp.keyId !== keyId || !checkpointSignatureValid(cp, publicKey)) {
      fail(
        'independent-checkpoint',
        `the checkpoint given with --checkpoint (${described(cp)}) does not verify with audit key ${keyId}`,
      );
    }
    if (cp.size < range.firstSeq - 1) {
      fail(
        'independent-checkpoint',
        `the checkpoint given with --checkpoint (${described(cp)}) lies before this export's chain (events ${range.firstSeq}–${range.lastSeq}): it cannot be checked against it`,
      );
    }
    if (cp.size > range.lastSeq && cp.time > checkpoint.time) {
      fail(
        'independent-checkpoint',
        `the checkpoint given with --checkpoint (${described(cp)}) is newer than this export's (${described(checkpoint)}): it cannot be checked against it; export again`,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 4. The files against the manifest.

async function checkFiles(source: ExportSource, manifest: ExportManifest): Promise<void> {
  const listed = manifest.files.map((f) => f.name);
  for (const name of DATA_FILES) {
    if (listed.filter((n) => n === name).length !== 1) {
      fail('manifest', `the manifest must list ${name} once`);
    }
  }
  for (const name of listed) {
    if (!(DATA_FILES as readonly string[]).includes(name)) {
      fail('manifest', `the manifest lists ${name}, which is not a file of an audit export`);
    }
    if (!source.names.includes(name)) {
      fail('files', `${name} is listed in the manifest but missing from the export`);
    }
  }
  for (const name of source.names) {
    if (!listed.includes(name) && !(UNLISTED_FILES as readonly string[]).includes(name)) {
      fail('files', `the export holds ${name}, which the manifest does not list`);
    }
  }
  for (const file of manifest.files) {
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of await source.open(file.name)) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    if (bytes !== file.bytes) {
      fail(
        'files',
        `${file.name} has ${bytes} bytes where the manifest says ${file.bytes}: it was altered`,
      );
    }
    if (hash.digest('hex') !== file.sha256) {
      fail('files', `${file.name} does not match its SHA-256 in the manifest: it was altered`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 5–6. The chain, the events, the checkpoint.

interface EventLine {
  line: number;
  seq: number;
  hash: string;
  fields: AuditEventFields;
}

/** events.jsonl's lines, each checked to be exactly one event in canonical form. */
async function* eventLines(source: ExportSource): AsyncGenerator<EventLine> {
  const where = (line: number) => `${EVENTS_JSONL} line ${line}`;
  for await (const { line, text } of linesOf(source, EVENTS_JSONL)) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      fail('events', `${where(line)} is not JSON`);
    }
    if (
      !isObject(value) ||
      Object.keys(value).sort().join() !== [...EVENT_LINE_KEYS].sort().join()
    ) {
      fail(
        'events',
        `${where(line)} does not hold exactly an event (${EVENT_LINE_KEYS.join(', ')})`,
      );
    }
    const { seq, hash } = value;
    if (!Number.isSafeInteger(seq) || (seq as number) < 1) {
      fail('events', `${where(line)}: seq is not a positive integer`);
    }
    if (typeof hash !== 'string' || !HEX64.test(hash)) {
      fail('events', `${where(line)}: hash is not 64 lowercase hex digits`);
    }
    let canonical: string | undefined;
    try {
      canonical = canonicalJson(value);
    } catch {
      canonical = undefined;
    }
    if (canonical !== text) {
      fail('events', `${where(line)} (event ${String(seq)}) is not in canonical form (RFC 8785)`);
    }
    yield {
      line,
      seq: seq as number,
      hash,
      fields: hashedFields(value as unknown as AuditEventFields),
    };
  }
}

interface Walked {
  events: number;
  chainEvents: number;
  independentCheckpoints: number;
}

async function walkChain(
  source: ExportSource,
  manifest: ExportManifest,
  independent: SignedCheckpoint[],
): Promise<Walked> {
  const { range, checkpoint } = manifest;
  const walk = new ChainWalk(Buffer.from(range.previousHash, 'hex'), range.firstSeq);
  // The hash at each size an independent checkpoint names.
  const wanted = new Set(independent.map((cp) => cp.size));
  const hashAt = new Map<number, Buffer>();
  if (wanted.has(range.firstSeq - 1)) hashAt.set(range.firstSeq - 1, walk.head);

  const events = eventLines(source);
  let next = (await events.next()).value as EventLine | undefined;
  let matched = 0;
  let chainEvents = 0;
  const chainFailure = (line: number, brk: ChainBreak, event: EventLine | undefined): never => {
    if (brk.kind === 'content' && event !== undefined) {
      fail('events', `${EVENTS_JSONL} line ${event.line}: ${brk.message}`);
    }
    fail('chain', `${CHAIN_CSV} line ${line}: ${brk.message}`);
  };

  let header = true;
  for await (const { line, text } of linesOf(source, CHAIN_CSV)) {
    if (header) {
      if (text !== CHAIN_HEADER) fail('chain', `${CHAIN_CSV} does not start with ${CHAIN_HEADER}`);
      header = false;
      continue;
    }
    const m = CHAIN_LINE.exec(text);
    if (m === null) fail('chain', `${CHAIN_CSV} line ${line} is not "seq,digest,hash"`);
    const seq = Number(m[1]);
    if (seq > range.lastSeq) {
      fail(
        'chain',
        `${CHAIN_CSV} line ${line}: event ${seq} lies beyond the checkpoint, which covers ${range.lastSeq} events`,
      );
    }
    const hash = Buffer.from(m[3], 'hex');
    const event = next?.seq === seq ? next : undefined;
    const brk = walk.event(seq, event?.fields, Buffer.from(m[2], 'hex'), hash);
    if (brk !== undefined) chainFailure(line, brk, event);
    chainEvents += 1;
    if (wanted.has(seq)) hashAt.set(seq, hash);
    if (event !== undefined) {
      if (event.hash !== m[3]) {
        fail(
          'events',
          `${EVENTS_JSONL} line ${event.line}: the hash of event ${seq} differs from chain.csv's`,
        );
      }
      matched += 1;
      next = (await events.next()).value as EventLine | undefined;
      if (next !== undefined && next.seq <= seq) {
        fail(
          'events',
          `${EVENTS_JSONL} line ${next.line}: event ${next.seq} comes after event ${seq} (repeated or out of order)`,
        );
      }
    } else if (next !== undefined && next.seq < seq) {
      fail(
        'events',
        `${EVENTS_JSONL} line ${next.line}: event ${next.seq} is not in chain.csv, which starts at event ${range.firstSeq}`,
      );
    }
  }
  if (header) fail('chain', `${CHAIN_CSV} is empty: it does not start with ${CHAIN_HEADER}`);

  const end = walk.checkpoint(checkpoint, walk.size === checkpoint.size ? walk.head : undefined);
  if (end !== undefined) fail('checkpoint', `${CHAIN_CSV}: ${end.message}`);
  if (next !== undefined) {
    fail(
      'events',
      `${EVENTS_JSONL} line ${next.line}: event ${next.seq} is not in chain.csv (events ${range.firstSeq}–${range.lastSeq})`,
    );
  }
  const listedEvents = manifest.files.find((f) => f.name === EVENTS_JSONL)?.events;
  if (listedEvents !== matched) {
    fail(
      'manifest',
      `the manifest counts ${String(listedEvents)} events in ${EVENTS_JSONL}, which holds ${matched}`,
    );
  }
  // One beyond the export's end, signed no later than its checkpoint: events were taken away.
  for (const cp of independent) {
    const brk = walk.checkpoint(cp, hashAt.get(cp.size));
    if (brk !== undefined) fail('independent-checkpoint', `--checkpoint: ${brk.message}`);
  }
  return { events: matched, chainEvents, independentCheckpoints: independent.length };
}

// ---------------------------------------------------------------------------------------------
// 7. events.csv against events.jsonl.

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

async function checkCsv(source: ExportSource, manifest: ExportManifest): Promise<void> {
  const { language, bom } = manifest.csv;
  const titles = EVENT_CSV_COLUMNS[language];
  const input = await source.open(EVENTS_CSV);
  let first: Buffer | undefined;
  input.on('data', (chunk: Buffer) => {
    first ??= chunk;
  });
  const rows = input.pipe(parseCsv({ bom: true }));
  input.on('error', (error) => rows.destroy(error));
  const events = eventLines(source);
  let row = 0;
  try {
    for await (const record of rows as AsyncIterable<string[]>) {
      row += 1;
      if (row === 1) {
        const hasBom = first !== undefined && first.subarray(0, 3).equals(BOM);
        if (hasBom !== bom) {
          fail(
            'csv',
            bom
              ? `${EVENTS_CSV} lacks the byte order mark the manifest announces`
              : `${EVENTS_CSV} starts with a byte order mark the manifest does not announce`,
          );
        }
        if (record.join('\u0000') !== titles.join('\u0000')) {
          fail('csv', `${EVENTS_CSV}'s header row is not the ${language} column titles`);
        }
        continue;
      }
      const next = (await events.next()).value as EventLine | undefined;
      if (next === undefined) {
        fail('csv', `${EVENTS_CSV} row ${row} has no event in ${EVENTS_JSONL}`);
      }
      const expected = eventCsvRow({ ...next.fields, seq: next.seq, hash: next.hash }).map(
        csvCellText,
      );
      const column = expected.findIndex((cell, i) => record[i] !== cell);
      if (column >= 0 || record.length !== expected.length) {
        const title = titles[column >= 0 ? column : expected.length] ?? `column ${column + 1}`;
        fail(
          'csv',
          `${EVENTS_CSV} row ${row} (event ${next.seq}) differs from ${EVENTS_JSONL} in column "${title}"`,
        );
      }
    }
  } catch (error) {
    if (error instanceof VerificationFailure) throw error;
    fail('csv', `${EVENTS_CSV} is not valid CSV: ${errorText(error)}`);
  }
  if (row === 0) fail('csv', `${EVENTS_CSV} is empty: it has no header row`);
  const left = (await events.next()).value as EventLine | undefined;
  if (left !== undefined) {
    fail('csv', `${EVENTS_CSV} lacks event ${left.seq} (${EVENTS_JSONL} line ${left.line})`);
  }
}

// ---------------------------------------------------------------------------------------------

/** Verifies an export (a .zip, or the folder it was unzipped to); throws at the first failure. */
export async function verifyExport(
  location: string,
  options: VerifyOptions,
): Promise<VerifiedExport> {
  const source = await openSource(location);
  try {
    const manifest = await readManifest(source, options.publicKey);
    const independent = options.checkpoints ?? [];
    checkCheckpoints(manifest, options.publicKey, independent);
    await checkFiles(source, manifest);
    const walked = await walkChain(source, manifest, independent);
    await checkCsv(source, manifest);
    const { size, head, time } = manifest.checkpoint;
    return {
      id: manifest.id,
      createdAt: manifest.createdAt,
      filters: manifest.filters,
      keyId: manifest.keyId,
      range: manifest.range,
      checkpoint: { size, head, time },
      ...walked,
    };
  } catch (error) {
    if (error instanceof VerificationFailure || error instanceof UsageError) throw error;
    // A stream that broke while reading: a damaged archive (or disk).
    throw new VerificationFailure('archive', `the export cannot be read: ${errorText(error)}`);
  } finally {
    await source.close();
  }
}
