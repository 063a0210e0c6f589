/**
 * The public entry of platform/metrics: what other contexts and the composition root use.
 * Inside it, files import each other directly, never through this entry. Written by
 * eslint/context-entries.js; checked by boundaries/context-imports.
 */
export { CallerCacheStats } from '#src/platform/metrics/caller-cache-stats.js';
export { MetricsModule } from '#src/platform/metrics/metrics.module.js';
export { MetricsService } from '#src/platform/metrics/metrics.service.js';
