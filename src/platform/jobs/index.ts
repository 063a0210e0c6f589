/**
 * The public entry of platform/jobs: what other contexts and the composition root use.
 * Inside it, files import each other directly, never through this entry. Written by
 * eslint/context-entries.js; checked by boundaries/context-imports.
 */
export { PeriodicRun } from '#src/platform/jobs/periodic-run.js';
