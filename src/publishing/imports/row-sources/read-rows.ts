import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import {
  TokenParser,
  Tokenizer,
  TokenType,
  type JsonTypes,
  type ParsedTokenInfo,
} from '@streamparser/json';
import { CsvError, Parser as CsvParser, type Options as CsvOptions } from 'csv-parse';

/**
 * Rows of a bulk import, read from a streamed body without holding it in memory.
 *
 * - `text`: one value per line (`\n` or `\r\n`), trimmed; blank lines and lines starting with
 *   `#` are skipped. `line` is the physical line.
 * - `csv`: RFC 4180 with a header row naming columns among {@link IMPORT_FIELDS}
 *   (case-insensitive, `value` required, unknown or repeated names refused). Fields are trimmed
 *   outside quotes; every record has as many fields as the header; empty lines are skipped;
 *   `tags` holds several tags separated by `;`. `line` is the physical line where the record
 *   starts (a quoted field may span lines).
 * - `json`: an array of items, or an object whose only key is `"indicators"` holding that
 *   array. An item is a string (the value) or an object with the fields of
 *   {@link IMPORT_FIELDS} (`null` = absent; `confidence` a number or string, `tags` an array of
 *   strings). `line` is the 1-based index of the item in the array.
 *
 * Bodies are UTF-8, with or without a BOM. A broken body (syntax, header, shape, encoding, too
 * many rows) throws {@link ImportFormatError}; more than `maxBytes` throws
 * {@link ImportTooLargeError}. A bad row does not throw: it is yielded with `value: ''` and
 * `error` (an item that is neither string nor object, a missing or non-string value, an unknown
 * JSON field, a field of the wrong JSON type, an empty value, a field longer than
 * `maxFieldLength` characters or containing NUL, which PostgreSQL text cannot hold).
 */
export type ImportFormat = 'json' | 'csv' | 'text';

export interface RawRow {
  /** Physical line where the row starts (text, csv) or 1-based index of the item (json). */
  line: number;
  /** Trimmed; `''` when `error` is set. */
  value: string;
  /** This and the next fields are as given (csv: trimmed), undefined when empty or null. */
  type?: string;
  validFrom?: string;
  validUntil?: string;
  tlp?: string;
  confidence?: string | number;
  tags?: string[];
  source?: string;
  description?: string;
  /** Why the row is rejected; such a row has only `line`, `value: ''` and `error`. */
  error?: string;
}

export interface ReadRowsOptions {
  maxRows: number;
  /** Counted on the bytes received, whatever Content-Length said. */
  maxBytes: number;
  /** In characters, for each field; a longer field rejects the row. */
  maxFieldLength?: number;
}

/** Characters per field when `maxFieldLength` is not given. */
export const DEFAULT_MAX_FIELD_LENGTH = 10_000;

/** The body itself is broken, not one row: the whole import fails. */
export class ImportFormatError extends Error {
  override readonly name = 'ImportFormatError';
  constructor(
    message: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
  }
}

/** The body has more than `maxBytes` bytes (HTTP 413). */
export class ImportTooLargeError extends Error {
  override readonly name = 'ImportTooLargeError';
  constructor(readonly maxBytes: number) {
    super(`the body is larger than ${maxBytes} bytes`);
  }
}

/** Field names in CSV headers and JSON objects, with their key in {@link RawRow}. */
export const IMPORT_FIELDS = {
  value: 'value',
  type: 'type',
  valid_from: 'validFrom',
  valid_until: 'validUntil',
  tlp: 'tlp',
  confidence: 'confidence',
  tags: 'tags',
  source: 'source',
  description: 'description',
} as const satisfies Record<string, Exclude<keyof RawRow, 'line' | 'error'>>;
type FieldName = keyof typeof IMPORT_FIELDS;

const FORMATS: Record<string, ImportFormat> = {
  'text/plain': 'text',
  'text/csv': 'csv',
  'application/json': 'json',
};

/**
 * The format of a Content-Type (`text/plain`, `text/csv`, `application/json`, parameters
 * allowed); undefined for any other type or a charset other than UTF-8 (or its subset ASCII).
 */
export function formatFromContentType(contentType: string | undefined): ImportFormat | undefined {
  if (contentType === undefined) return undefined;
  const [essence, ...params] = contentType.split(';').map((part) => part.trim().toLowerCase());
  if (!Object.hasOwn(FORMATS, essence)) return undefined;
  for (const param of params) {
    const [name, raw = ''] = param.split('=', 2).map((s) => s.trim());
    const charset = raw.replace(/^"(.*)"$/, '$1');
    if (name === 'charset' && !['utf-8', 'utf8', 'us-ascii'].includes(charset)) return undefined;
  }
  return FORMATS[essence];
}

/** The body is parsed in slices of at most this many bytes, and rows yielded after each. */
const SLICE_BYTES = 64 * 1024;

/**
 * The rows of `body`, read as it streams: each slice of the body is parsed synchronously into a
 * batch of rows, which is yielded before the next slice is read.
 */
export function readRows(
  body: Readable,
  format: ImportFormat,
  options: ReadRowsOptions,
): AsyncIterable<RawRow> {
  const { maxRows, maxBytes, maxFieldLength = DEFAULT_MAX_FIELD_LENGTH } = options;
  for (const [name, limit] of Object.entries({ maxRows, maxBytes, maxFieldLength })) {
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new RangeError(`${name} must be a positive integer`);
    }
  }
  let parser: RowParser;
  if (format === 'text') parser = new TextRows(maxFieldLength);
  else if (format === 'csv') parser = new CsvRows(maxFieldLength);
  else if (format === 'json') parser = new JsonRows(maxFieldLength);
  else throw new RangeError(`unknown import format ${JSON.stringify(format)}`);
  return generateRows(body, parser, maxRows, maxBytes);
}

/** A synchronous parser of body slices, collecting its rows in `rows`. */
interface RowParser {
  rows: RawRow[];
  /** `text` is `bytes` decoded (a character split across slices comes with the later one). */
  write(bytes: Buffer, text: string): void;
  end(): void | Promise<void>;
}

async function* generateRows(
  body: Readable,
  parser: RowParser,
  maxRows: number,
  maxBytes: number,
): AsyncGenerator<RawRow, void, undefined> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let bytes = 0;
  let count = 0;
  const take = (): RawRow[] => {
    const rows = parser.rows;
    parser.rows = [];
    if (count + rows.length > maxRows) {
      throw new ImportFormatError(
        `too many rows: the limit is ${maxRows}`,
        rows[maxRows - count].line,
      );
    }
    count += rows.length;
    return rows;
  };
  for await (const chunk of body as AsyncIterable<unknown>) {
    const buffer = toBuffer(chunk);
    for (let start = 0; start < buffer.length; start += SLICE_BYTES) {
      const slice = buffer.subarray(start, start + SLICE_BYTES);
      bytes += slice.length;
      if (bytes > maxBytes) throw new ImportTooLargeError(maxBytes);
      let text: string;
      try {
        text = decoder.decode(slice, { stream: true });
      } catch {
        throw invalidUtf8(slice, bytes - slice.length);
      }
      parser.write(slice, text);
      for (const row of take()) yield row;
    }
  }
  try {
    decoder.decode(); // nothing left but an incomplete character, if anything
  } catch {
    throw new ImportFormatError('the body ends in the middle of a UTF-8 character');
  }
  await parser.end();
  for (const row of take()) yield row;
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
  throw new TypeError('the body stream must yield bytes');
}

/** Where the first invalid byte of `slice` is (found by bisection: only on error). */
function invalidUtf8(slice: Buffer, offset: number): ImportFormatError {
  const validPrefix = (length: number): boolean => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(slice.subarray(0, length), { stream: true });
      return true;
    } catch {
      return false;
    }
  };
  let low = 0;
  let high = slice.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (validPrefix(middle + 1)) low = middle + 1;
    else high = middle;
  }
  // A sequence begun in the previous slice is invalid from the first byte of this one.
  const at = offset + (low === slice.length ? 0 : low);
  return new ImportFormatError(`the body is not valid UTF-8 (byte ${at})`);
}

const rejected = (line: number, error: string): RawRow => ({ line, value: '', error });

/** Why a field cannot be imported, or undefined. */
function fieldProblem(name: string, text: string, maxFieldLength: number): string | undefined {
  if (text.length > maxFieldLength) {
    return `${name} is longer than ${maxFieldLength} characters`;
  }
  if (text.includes('\0')) return `${name} contains a NUL character`;
  return undefined;
}

const optionalProblem = (name: string, text: string | undefined, max: number) =>
  text === undefined ? undefined : fieldProblem(name, text, max);

/** `row`, or a rejected row if its value is empty or a field is too long or has a NUL. */
function checked(row: RawRow, max: number): RawRow {
  const problem =
    row.value === ''
      ? 'the value is empty'
      : (fieldProblem('value', row.value, max) ??
        optionalProblem('type', row.type, max) ??
        optionalProblem('valid_from', row.validFrom, max) ??
        optionalProblem('valid_until', row.validUntil, max) ??
        optionalProblem('tlp', row.tlp, max) ??
        (typeof row.confidence === 'string'
          ? fieldProblem('confidence', row.confidence, max)
          : undefined) ??
        optionalProblem('source', row.source, max) ??
        optionalProblem('description', row.description, max) ??
        row.tags?.reduce<string | undefined>(
          (found, tag) => found ?? fieldProblem('tags', tag, max),
          undefined,
        ));
  return problem === undefined ? row : rejected(row.line, problem);
}

function countNewlines(text: string): number {
  let count = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) count++;
  return count;
}

const HASH = 0x23;

class TextRows implements RowParser {
  rows: RawRow[] = [];
  private line = 0;
  /** The start of the line being read. */
  private pending = '';
  /** The line being read passed `maxLine`: the rest of it is dropped. */
  private overlong = false;
  private overlongComment = false;
  private readonly maxLine: number;

  constructor(private readonly maxFieldLength: number) {
    this.maxLine = maxFieldLength + 1024;
  }

  write(_bytes: Buffer, text: string): void {
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      this.endLine(text.slice(start, end));
      start = end + 1;
    }
    if (start < text.length) this.append(text.slice(start));
  }

  end(): void {
    if (this.pending !== '' || this.overlong) this.endLine('');
  }

  private append(part: string): void {
    if (this.overlong) return;
    this.pending += part;
    if (this.pending.length > this.maxLine) {
      this.overlong = true;
      this.overlongComment = this.pending.trimStart().charCodeAt(0) === HASH;
      this.pending = '';
    }
  }

  private endLine(part: string): void {
    this.line++;
    const raw = this.pending === '' ? part : this.pending + part;
    this.pending = '';
    if (this.overlong || raw.length > this.maxLine) {
      const comment = this.overlong ? this.overlongComment : raw.trimStart().charCodeAt(0) === HASH;
      this.overlong = false;
      if (!comment) {
        this.rows.push(
          rejected(this.line, `the line is longer than ${this.maxFieldLength} characters`),
        );
      }
      return;
    }
    const value = raw.trim();
    if (value === '' || value.charCodeAt(0) === HASH) return;
    this.rows.push(checked({ line: this.line, value }, this.maxFieldLength));
  }
}

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

class CsvRows implements RowParser {
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

/** Bytes kept for error positions beyond the last token (a longer token loses precision). */
const MAX_JSON_TAIL = 256 * 1024;

type JsonState =
  | 'start' // before the top-level value
  | 'key' // in the top-level object, before "indicators"
  | 'colon' // after "indicators"
  | 'array' // after "indicators":
  | 'first' // after the opening bracket of the array
  | 'item' // after a comma in the array
  | 'inside' // in a nested item
  | 'after' // after an item
  | 'close' // after the array, in the top-level object
  | 'done';

class JsonRows implements RowParser {
  rows: RawRow[] = [];
  private readonly tokenizer = new Tokenizer();
  /** Assembles each item of the array as one JSON document of its own. */
  private readonly items = new TokenParser({ paths: ['$'], keepStack: false, separator: '' });
  private state: JsonState = 'start';
  private wrapped = false;
  private depth = 0;
  private index = 0;
  /**
   * Error positions: the line and column (1-based) of byte `anchor` of the body, which is the
   * start of the last token seen by the end of the previous slice, and the bytes from there
   * (`tail`) and of the slice being parsed. Tokens are seen in order, so every error is at or
   * after the anchor.
   */
  private anchor = 0;
  private anchorLine = 1;
  private anchorColumn = 1;
  private tail: Buffer = Buffer.alloc(0);
  private slice: Buffer = Buffer.alloc(0);
  private lastToken = 0;

  constructor(private readonly maxFieldLength: number) {
    this.tokenizer.onToken = (token) => this.token(token);
    this.items.onValue = ({ value }) => {
      this.index++;
      this.rows.push(jsonRow(value, this.index, this.maxFieldLength));
    };
  }

  write(bytes: Buffer): void {
    this.slice = bytes;
    try {
      this.tokenizer.write(bytes);
    } catch (error) {
      if (error instanceof ImportFormatError) throw error;
      // The tokenizer names the offending byte's offset only in its message.
      const offset = Number(/absolute position "(\d+)"/.exec(String(error))?.[1]);
      if (Number.isNaN(offset)) throw this.error(this.anchor, String(error));
      const byte = this.window()[offset - this.anchor];
      const shown =
        byte >= 0x20 && byte < 0x7f ? JSON.stringify(String.fromCharCode(byte)) : `byte ${byte}`;
      throw this.error(offset, `unexpected ${shown}`);
    }
    const window = this.window();
    this.slice = Buffer.alloc(0);
    // Move the anchor to the last token, or past everything if the tail would grow too long.
    let advance = this.lastToken - this.anchor;
    if (window.length - advance > MAX_JSON_TAIL) advance = window.length;
    if (advance > 0) {
      this.moveAnchor(window.subarray(0, advance).toString('utf8'));
      this.anchor += advance;
    }
    this.tail = Buffer.from(window.subarray(advance)); // a copy: the chunk is not retained
  }

  end(): void {
    const atEnd = this.anchor + this.tail.length;
    try {
      this.tokenizer.end(); // emits a number that ends the body
    } catch (error) {
      if (error instanceof ImportFormatError) throw error;
      throw this.error(atEnd, 'the body ends inside a value');
    }
    if (this.state === 'start') throw this.error(atEnd, 'the body is empty');
    if (this.state !== 'done') {
      throw this.error(atEnd, 'the body ends before the JSON is complete');
    }
  }

  private window(): Buffer {
    return this.tail.length === 0 ? this.slice : Buffer.concat([this.tail, this.slice]);
  }

  private moveAnchor(text: string): void {
    const newlines = countNewlines(text);
    this.anchorLine += newlines;
    this.anchorColumn =
      newlines === 0 ? this.anchorColumn + text.length : text.length - text.lastIndexOf('\n');
  }

  private token(token: ParsedTokenInfo): void {
    const type = token.token;
    this.lastToken = token.offset;
    switch (this.state) {
      case 'start':
        if (type === TokenType.LEFT_BRACKET) this.state = 'first';
        else if (type === TokenType.LEFT_BRACE) this.state = 'key';
        else throw this.unexpected(token, 'an array or {"indicators": [...]}');
        return;
      case 'key':
        if (type === TokenType.STRING && token.value === 'indicators') this.state = 'colon';
        else throw this.unexpected(token, '"indicators", the only key of the top-level object');
        return;
      case 'colon':
        if (type !== TokenType.COLON) throw this.unexpected(token, '":"');
        this.state = 'array';
        return;
      case 'array':
        if (type !== TokenType.LEFT_BRACKET) throw this.unexpected(token, 'an array');
        this.wrapped = true;
        this.state = 'first';
        return;
      case 'first':
        if (type === TokenType.RIGHT_BRACKET) return this.endArray();
        return this.startItem(token);
      case 'item':
        if (type === TokenType.RIGHT_BRACKET) throw this.unexpected(token, 'an item after ","');
        return this.startItem(token);
      case 'inside':
        this.forward(token);
        if (type === TokenType.LEFT_BRACE || type === TokenType.LEFT_BRACKET) this.depth++;
        else if (type === TokenType.RIGHT_BRACE || type === TokenType.RIGHT_BRACKET) this.depth--;
        if (this.depth === 0) this.state = 'after';
        return;
      case 'after':
        if (type === TokenType.COMMA) this.state = 'item';
        else if (type === TokenType.RIGHT_BRACKET) this.endArray();
        else throw this.unexpected(token, '"," or "]"');
        return;
      case 'close':
        if (type !== TokenType.RIGHT_BRACE) {
          throw this.unexpected(token, '"}": "indicators" is the only key of the top-level object');
        }
        this.state = 'done';
        return;
      case 'done':
        throw this.unexpected(token, 'nothing after the end of the JSON value');
    }
  }

  private startItem(token: ParsedTokenInfo): void {
    this.forward(token);
    const opens = token.token === TokenType.LEFT_BRACE || token.token === TokenType.LEFT_BRACKET;
    this.depth = opens ? 1 : 0;
    this.state = opens ? 'inside' : 'after';
  }

  private endArray(): void {
    this.state = this.wrapped ? 'close' : 'done';
  }

  private forward(token: ParsedTokenInfo): void {
    try {
      this.items.write(token);
    } catch {
      throw this.unexpected(token);
    }
  }

  private unexpected(token: ParsedTokenInfo, expected?: string): ImportFormatError {
    const shown =
      token.token === TokenType.STRING
        ? `string ${JSON.stringify(String(token.value).slice(0, 40))}`
        : token.token === TokenType.NUMBER
          ? `number ${String(token.value)}`
          : JSON.stringify(String(token.value));
    const problem =
      expected === undefined ? `unexpected ${shown}` : `expected ${expected}, found ${shown}`;
    return this.error(token.offset, problem);
  }

  /** An error at byte `offset` of the body, with its line and column (in characters). */
  private error(offset: number, problem: string): ImportFormatError {
    const before = this.window()
      .subarray(0, Math.max(0, offset - this.anchor))
      .toString('utf8');
    const newlines = countNewlines(before);
    const line = this.anchorLine + newlines;
    const column =
      newlines === 0 ? this.anchorColumn + before.length : before.length - before.lastIndexOf('\n');
    return new ImportFormatError(
      `invalid JSON at line ${line}, column ${column}: ${problem}`,
      line,
      column,
    );
  }
}

const kindOf = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;

const optional = (field: JsonTypes.JsonPrimitive | JsonTypes.JsonStruct | undefined) =>
  (field ?? undefined) as string | undefined;

/** The row of one JSON item. */
function jsonRow(
  item: JsonTypes.JsonPrimitive | JsonTypes.JsonStruct | undefined,
  line: number,
  maxFieldLength: number,
): RawRow {
  if (typeof item === 'string') return checked({ line, value: item.trim() }, maxFieldLength);
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    return rejected(line, `an item must be a string or an object, not ${kindOf(item)}`);
  }
  for (const name in item) {
    if (!Object.hasOwn(IMPORT_FIELDS, name)) {
      return rejected(line, `unknown field ${JSON.stringify(name)}`);
    }
    const field = item[name];
    if (field === null) continue;
    if (name === 'confidence') {
      if (typeof field !== 'number' && typeof field !== 'string') {
        return rejected(line, `confidence must be a number or a string, not ${kindOf(field)}`);
      }
    } else if (name === 'tags') {
      if (!Array.isArray(field) || !field.every((tag) => typeof tag === 'string')) {
        return rejected(line, 'tags must be an array of strings');
      }
    } else if (typeof field !== 'string') {
      return rejected(line, `${name} must be a string, not ${kindOf(field)}`);
    }
  }
  if (typeof item.value !== 'string') return rejected(line, 'the item has no "value"');
  // Types checked above; one object shape for all rows.
  const row: RawRow = {
    line,
    value: item.value.trim(),
    type: optional(item.type),
    validFrom: optional(item.valid_from),
    validUntil: optional(item.valid_until),
    tlp: optional(item.tlp),
    confidence: (item.confidence ?? undefined) as string | number | undefined,
    tags: (item.tags ?? undefined) as string[] | undefined,
    source: optional(item.source),
    description: optional(item.description),
  };
  return checked(row, maxFieldLength);
}
