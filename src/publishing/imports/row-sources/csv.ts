import { finished } from 'node:stream/promises';
import { CsvError, Parser as CsvParser, type Options as CsvOptions } from 'csv-parse';
import {
  checked,
  countNewlines,
  IMPORT_FIELDS,
  ImportFormatError,
  type FieldName,
  type RawRow,
  type RowParser,
} from '#src/publishing/imports/row-sources/row.js';

/**
 * csv-parse's stream parser, handing each record over as soon as it is parsed, with the number
 * of empty lines skipped so far, instead of queueing it for reading.
 */
class RecordParser extends CsvParser {
  constructor(
    options: CsvOptions,
    private readonly onRecord: (record: string[], emptyLines: number) => void,
  ) {
    super(options);
  }

  override push(chunk: unknown): boolean {
    if (chunk === null) return super.push(null);
    this.onRecord(chunk as string[], this.info.empty_lines);
    return true;
  }
}

const cell = (record: string[], index: number): string | undefined =>
  index < 0 || record[index] === '' ? undefined : record[index];

/** Tags separated by `;`, trimmed; undefined if none. */
function splitTags(text: string): string[] | undefined {
  const tags: string[] = [];
  for (const part of text.split(';')) {
    const tag = part.trim();
    if (tag !== '') tags.push(tag);
  }
  return tags.length > 0 ? tags : undefined;
}

const QUOTE_ERRORS = new Set([
  'CSV_INVALID_OPENING_QUOTE',
  'INVALID_OPENING_QUOTE',
  'CSV_INVALID_CLOSING_QUOTE',
  'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE',
]);

/** `csv`: RFC 4180 with a header row naming the columns. */
export class CsvRows implements RowParser {
  rows: RawRow[] = [];
  private readonly parser: RecordParser;
  /** The column of each field (-1 if none), once the header is read. */
  private columns?: Record<FieldName, number>;
  private columnCount = 0;
  /** The line after the last record, and the empty lines counted up to it. */
  private nextLine = 1;
  private emptyLines = 0;
  private failure?: ImportFormatError;
  private readonly maxRecordBytes: number;

  constructor(private readonly maxFieldLength: number) {
    // Bounds the memory taken by a runaway quoted field; longer fields are rejected per row.
    this.maxRecordBytes = 4 * maxFieldLength * Object.keys(IMPORT_FIELDS).length + 1024;
    this.parser = new RecordParser(
      {
        bom: true,
        trim: true,
        skip_empty_lines: true,
        record_delimiter: ['\r\n', '\n'],
        max_record_size: this.maxRecordBytes,
      },
      (record, emptyLines) => this.record(record, emptyLines),
    );
    // Errors are read from `errored` after each write.
    this.parser.on('error', () => {});
  }

  write(bytes: Buffer): void {
    // csv-parse parses a write synchronously (records, or the error, are there on return).
    this.parser.write(bytes);
    this.check();
  }

  async end(): Promise<void> {
    this.parser.end();
    await finished(this.parser, { readable: false }).catch(() => undefined);
    this.check();
    if (this.columns === undefined) {
      throw new ImportFormatError('the CSV body is empty: the first line must be a header', 1);
    }
  }

  private check(): void {
    if (this.failure !== undefined) throw this.failure;
    const error = this.parser.errored;
    if (error !== null) throw this.csvError(error);
  }

  private record(record: string[], emptyLines: number): void {
    if (this.failure !== undefined) return;
    const line = this.nextLine + emptyLines - this.emptyLines;
    this.emptyLines = emptyLines;
    let last = line;
    for (const field of record) if (field.includes('\n')) last += countNewlines(field);
    this.nextLine = last + 1;
    if (this.columns === undefined) this.header(record, line);
    else this.rows.push(this.row(record, line, this.columns));
  }

  private header(names: string[], line: number): void {
    const lower = names.map((name) => name.toLowerCase());
    const unknown = lower.filter((name) => !Object.hasOwn(IMPORT_FIELDS, name));
    const repeated = lower.filter((name, i) => lower.indexOf(name) !== i);
    const known = Object.keys(IMPORT_FIELDS).join(', ');
    let problem: string | undefined;
    if (unknown.length > 0) {
      const list = unknown.map((name) => JSON.stringify(name)).join(', ');
      problem = `unknown column${unknown.length > 1 ? 's' : ''} ${list}`;
    } else if (repeated.length > 0) {
      problem = `repeated column ${JSON.stringify(repeated[0])}`;
    } else if (!lower.includes('value')) {
      problem = 'no "value" column';
    }
    if (problem !== undefined) {
      this.failure = new ImportFormatError(
        `invalid CSV header at line ${line}: ${problem} (the first line names the columns among ${known})`,
        line,
      );
      return;
    }
    const index = (name: FieldName) => lower.indexOf(name);
    this.columns = {
      value: index('value'),
      type: index('type'),
      valid_from: index('valid_from'),
      valid_until: index('valid_until'),
      tlp: index('tlp'),
      confidence: index('confidence'),
      tags: index('tags'),
      source: index('source'),
      description: index('description'),
    };
    this.columnCount = names.length;
  }

  /** A row with all fields, absent ones undefined (one object shape for all rows). */
  private row(record: string[], line: number, at: Record<FieldName, number>): RawRow {
    const tags = cell(record, at.tags);
    const row: RawRow = {
      line,
      value: record[at.value].trim(),
      type: cell(record, at.type),
      validFrom: cell(record, at.valid_from),
      validUntil: cell(record, at.valid_until),
      tlp: cell(record, at.tlp),
      confidence: cell(record, at.confidence),
      tags: tags === undefined ? undefined : splitTags(tags),
      source: cell(record, at.source),
      description: cell(record, at.description),
    };
    return checked(row, this.maxFieldLength);
  }

  private csvError(error: Error): ImportFormatError {
    const line = this.nextLine + this.parser.info.empty_lines - this.emptyLines;
    const code = error instanceof CsvError ? error.code : undefined;
    let problem = error.message;
    if (code === 'CSV_QUOTE_NOT_CLOSED') {
      problem = 'a quoted field is not closed';
    } else if (code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH') {
      const fields = error instanceof CsvError && Array.isArray(error.record) ? error.record : [];
      const count = fields.length === 1 ? '1 field' : `${fields.length} fields`;
      problem = `${count} where the header has ${this.columnCount}`;
    } else if (code === 'CSV_MAX_RECORD_SIZE') {
      problem = `the record is longer than ${this.maxRecordBytes} bytes`;
    } else if (code !== undefined && QUOTE_ERRORS.has(code)) {
      problem = `misplaced quote: a field with quotes must be enclosed in them, with "" for each quote inside (${error.message})`;
    }
    return new ImportFormatError(`invalid CSV in the record at line ${line}: ${problem}`, line);
  }
}
