/**
 * The public entry of platform/json: what other contexts and the composition root use.
 * Inside it, files import each other directly, never through this entry. Written by
 * eslint/context-entries.js; checked by boundaries/context-imports.
 */
export { canonicalJson } from '#src/platform/json/canonical-json.js';
export { isStorableText, storableText, unstorableTextAt } from '#src/platform/json/text.js';
