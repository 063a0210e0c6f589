/**
 * The public entry of platform/logging: what other contexts and the composition root use.
 * Inside it, files import each other directly, never through this entry. Written by
 * eslint/context-entries.js; checked by boundaries/context-imports.
 */
export { PinoNestLogger, createLogger } from '#src/platform/logging/logger.js';
