/**
 * The public entry of platform/pagination: what other contexts and the composition root use.
 * Inside it, files import each other directly, never through this entry. Written by
 * eslint/context-entries.js; checked by boundaries/context-imports.
 */
export { CursorCodec, cursorPart } from '#src/platform/pagination/cursor-codec.js';
export {
  CreatedRangeQuery,
  DEFAULT_PAGE_SIZE,
  PageQuery,
  pageOf,
  paginate,
} from '#src/platform/pagination/cursor.js';
export type { Keyset, Page } from '#src/platform/pagination/cursor.js';
export { keysetOrderSql, keysetPage, keysetSql } from '#src/platform/pagination/keyset-query.js';
