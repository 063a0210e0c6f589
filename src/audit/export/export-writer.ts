import { createHash, type Hash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import yazl from 'yazl';
import type { AuditEventFields } from '#src/audit/trail/chain.js';
import {
  CHAIN_CSV,
  CHAIN_HEADER,
  chainLine,
  EVENT_CSV_COLUMNS,
  eventCsvRow,
  eventLine,
  EVENTS_CSV,
  EVENTS_JSONL,
  MANIFEST,
  manifestBytes,
  MANIFEST_SIGNATURE,
  PUBLIC_KEY,
  type CsvLanguage,
  type ExportManifest,
  type ManifestFile,
} from '#src/audit/export/export-format.js';
import { csvRows, toCsv } from '#src/platform/csv/index.js';

/** One event of the chain as the export reads it: with its fields when it was selected. */
export interface ChainRow {
  seq: number;
  /** Lowercase hex. */
  digest: string;
  /** Lowercase hex. */
  hash: string;
  /** Present for a selected event (it goes to events.jsonl and events.csv). */
  fields?: AuditEventFields;
}

/** A file written once, hashed and counted as it is written, with the stream's backpressure. */
class HashedFile {
  private readonly hash: Hash = createHash('sha256');
  private readonly stream: WriteStream;
  private bytes = 0;
  private events = 0;

  constructor(
    readonly name: string,
    readonly filePath: string,
  ) {
    this.stream = createWriteStream(filePath, { flags: 'wx' });
  }

  async write(text: string, events = 0): Promise<void> {
    if (text === '') return;
    const bytes = Buffer.from(text, 'utf8');
    this.hash.update(bytes);
    this.bytes += bytes.length;
    this.events += events;
    if (!this.stream.write(bytes)) await once(this.stream, 'drain');
  }

  async close(): Promise<ManifestFile> {
    this.stream.end();
    await finished(this.stream);
    return {
      name: this.name,
      sha256: this.hash.digest('hex'),
      bytes: this.bytes,
      events: this.events,
    };
  }

  destroy(): void {
    this.stream.destroy();
  }
}

/**
 * The files of an export, written in a temporary folder as the chain is read (a few thousand
 * rows at a time: memory stays flat for any size of trail), then zipped and removed.
 */
export class ExportFiles {
  private readonly jsonl: HashedFile;
  private readonly csv: HashedFile;
  private readonly chain: HashedFile;
  private started = false;

  private constructor(
    readonly dir: string,
    private readonly csvOptions: { language: CsvLanguage; bom: boolean },
  ) {
    this.jsonl = new HashedFile(EVENTS_JSONL, path.join(dir, EVENTS_JSONL));
    this.csv = new HashedFile(EVENTS_CSV, path.join(dir, EVENTS_CSV));
    this.chain = new HashedFile(CHAIN_CSV, path.join(dir, CHAIN_CSV));
  }

  /** A new, empty export in a folder of its own under the system's temporary directory. */
  static async create(csv: { language: CsvLanguage; bom: boolean }): Promise<ExportFiles> {
    const dir = await mkdtemp(path.join(tmpdir(), 'audit-export-'));
    return new ExportFiles(dir, csv);
  }

  /** Appends rows (in seq order): every row to chain.csv, selected ones to the event files. */
  async add(rows: ChainRow[]): Promise<void> {
    if (!this.started) {
      this.started = true;
      await this.csv.write(
        toCsv(EVENT_CSV_COLUMNS[this.csvOptions.language], [], this.csvOptions.bom),
      );
      await this.chain.write(`${CHAIN_HEADER}\n`);
    }
    let chain = '';
    let jsonl = '';
    const csv: ReturnType<typeof eventCsvRow>[] = [];
    for (const row of rows) {
      chain += `${chainLine(row.seq, row.digest, row.hash)}\n`;
      if (row.fields === undefined) continue;
      const event = { ...row.fields, seq: row.seq, hash: row.hash };
      jsonl += `${eventLine(event)}\n`;
      csv.push(eventCsvRow(event));
    }
    await this.jsonl.write(jsonl, csv.length);
    await this.csv.write(csv.length ? csvRows(csv) : '', csv.length);
    await this.chain.write(chain, rows.length);
  }

  /** Closes the files: their names, SHA-256, sizes and event counts, as the manifest lists them. */
  async finish(): Promise<ManifestFile[]> {
    if (!this.started) await this.add([]);
    return [await this.jsonl.close(), await this.csv.close(), await this.chain.close()];
  }

  /** Deletes the folder and everything in it. */
  async remove(): Promise<void> {
    for (const file of [this.jsonl, this.csv, this.chain]) file.destroy();
    await rm(this.dir, { recursive: true, force: true });
  }

  /**
   * The ZIP of the files, the manifest (indented JSON), its signature and the public key,
   * streamed: the files are read from disk as the archive is sent.
   */
  zip(manifest: ExportManifest, signature: string, publicKeyPem: string): Readable {
    const zip = new yazl.ZipFile();
    const mtime = new Date(manifest.createdAt);
    zip.addBuffer(manifestBytes(manifest), MANIFEST, { mtime });
    zip.addBuffer(Buffer.from(`${signature}\n`), MANIFEST_SIGNATURE, { mtime });
    zip.addBuffer(Buffer.from(publicKeyPem), PUBLIC_KEY, { mtime });
    for (const file of manifest.files) {
      zip.addFile(path.join(this.dir, file.name), file.name, { mtime });
    }
    zip.end();
    const output = zip.outputStream as Readable;
    // A file that cannot be read (removed because the client went away): end the archive
    // with the error rather than leave it unhandled.
    zip.on('error', (error: Error) => output.destroy(error));
    return output;
  }
}
