/**
 * The public entry of platform/clock: what other contexts and the composition root use.
 * Inside it, files import each other directly, never through this entry. Written by
 * eslint/context-entries.js; checked by boundaries/context-imports.
 */
export {
  Clock,
  ClockModule,
  SystemClock,
  monotonicMs,
  tokenTimeSeconds,
} from '#src/platform/clock/clock.js';
