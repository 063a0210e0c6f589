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
export type FieldName = keyof typeof IMPORT_FIELDS;

/** A synchronous parser of body slices, collecting its rows in `rows`. */
export interface RowParser {
  rows: RawRow[];
  /** `text` is `bytes` decoded (a character split across slices comes with the later one). */
  write(bytes: Buffer, text: string): void;
  end(): void | Promise<void>;
}

/** A rejected row: only its line and why. */
export const rejected = (line: number, error: string): RawRow => ({ line, value: '', error });

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
export function checked(row: RawRow, max: number): RawRow {
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

export function countNewlines(text: string): number {
  let count = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) count++;
  return count;
}
