import { stringify } from 'csv-stringify/sync';

export type CsvValue = string | number | boolean | null | undefined;

/**
 * Text a spreadsheet would run as a formula (=, +, -, @, tab or CR first) gets a leading
 * apostrophe (OWASP "CSV injection"): ISPs and staff write the names and reasons we export.
 * Numbers stay numbers (a negative number is not text).
 */
function inert(value: CsvValue): CsvValue {
  return typeof value === 'string' && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/**
 * RFC 4180 CSV: a header row, CRLF line ends, fields quoted when needed, empty cells for
 * null; `bom` prepends a byte order mark so that Excel reads UTF-8. Every text cell is made
 * inert.
 */
export function toCsv(columns: readonly string[], rows: CsvValue[][], bom = false): string {
  return stringify(
    rows.map((row) => row.map(inert)),
    { header: true, columns: [...columns], record_delimiter: '\r\n', bom },
  );
}

/** The headers of a CSV download (with a header row): a file to save, never cached by others. */
export function csvDownloadHeaders(filename: string): Record<string, string> {
  return {
    'content-type': 'text/csv; charset=utf-8; header=present',
    'content-disposition': `attachment; filename="${filename}"`,
    'cache-control': 'private, no-store',
  };
}

/**
 * Rows of a CSV written in batches (a file too big to hold in memory), no header: the same
 * rules as toCsv. Write `toCsv(columns, [], bom)` first for the header row.
 */
export function csvRows(rows: CsvValue[][]): string {
  return stringify(
    rows.map((row) => row.map(inert)),
    { record_delimiter: '\r\n' },
  );
}

/**
 * What a cell written by toCsv or csvRows reads as once parsed: empty for null, a number's
 * decimal text, text made inert. For checking a CSV file against the values it was made from.
 */
export function csvCellText(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  return String(inert(value));
}
