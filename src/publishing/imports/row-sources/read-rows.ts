import type { Readable } from 'node:stream';
import { CsvRows } from '#src/publishing/imports/row-sources/csv.js';
import { JsonRows } from '#src/publishing/imports/row-sources/json.js';
import {
  DEFAULT_MAX_FIELD_LENGTH,
  ImportFormatError,
  ImportTooLargeError,
  type ImportFormat,
  type RawRow,
  type ReadRowsOptions,
  type RowParser,
} from '#src/publishing/imports/row-sources/row.js';
import { TextRows } from '#src/publishing/imports/row-sources/text.js';

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
