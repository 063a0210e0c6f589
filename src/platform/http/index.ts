/**
 * The public entry of platform/http: what other contexts and the composition root use.
 * Inside it, files import each other directly, never through this entry. Written by
 * eslint/context-entries.js; checked by boundaries/context-imports.
 */
export { ACCESS_METADATA, Public } from '#src/platform/http/access.js';
export type { PublicAccess } from '#src/platform/http/access.js';
export {
  LargeJsonBody,
  StreamBody,
  depthLimitedJsonParser,
  installBodyParsing,
  streamedBody,
} from '#src/platform/http/body-parsing.js';
export { clientGone } from '#src/platform/http/client-gone.js';
export {
  currentRequestContext,
  runWithRequestContext,
} from '#src/platform/http/request-context.js';
export type { RequestContext } from '#src/platform/http/request-context.js';
export { REQUEST_ID_HEADER, requestIdFor } from '#src/platform/http/request-id.js';
export { installTimeouts } from '#src/platform/http/timeouts.js';
