/**
 * The public entry of platform/csv: what other contexts and the composition root use.
 * Inside it, files import each other directly, never through this entry. Written by
 * eslint/context-entries.js; checked by boundaries/context-imports.
 */
export { csvCellText, csvDownloadHeaders, csvRows, toCsv } from '#src/platform/csv/csv.js';
