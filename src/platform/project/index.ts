/**
 * The public entry of platform/project: what other contexts and the composition root use.
 * Inside it, files import each other directly, never through this entry. Written by
 * eslint/context-entries.js; checked by boundaries/context-imports.
 */
export { PROJECT_ROOT, PROJECT_VERSION } from '#src/platform/project/project.js';
