/**
 * The public entry of platform/health: what other contexts and the composition root use.
 * Inside it, files import each other directly, never through this entry. Written by
 * eslint/context-entries.js; checked by boundaries/context-imports.
 */
export { HealthModule } from '#src/platform/health/health.module.js';
