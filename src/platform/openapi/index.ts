/**
 * The public entry of platform/openapi: what other contexts and the composition root use.
 * Inside it, files import each other directly, never through this entry. Written by
 * eslint/context-entries.js; checked by boundaries/context-imports.
 */
export { buildOpenApiDocument, setupOpenApi } from '#src/platform/openapi/openapi.js';
export { ApiProblemResponses, ApiPublic } from '#src/platform/openapi/problem.schema.js';
