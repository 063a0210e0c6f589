/**
 * The public entry of response: what other contexts and the composition root use.
 * Inside it, files import each other directly, never through this entry. Written by
 * eslint/context-entries.js; checked by boundaries/context-imports.
 */
export { CaseTracker } from '#src/response/cases/case-tracker.js';
export type { MatchedConnection } from '#src/response/cases/case-tracker.js';
export { CaseScheduler } from '#src/response/cases/case.scheduler.js';
export { ResponseConfig } from '#src/response/response.config.js';
export { ResponseModule } from '#src/response/response.module.js';
export { UnitNetworksService } from '#src/response/units/unit-networks.service.js';
export { UnitMatcher } from '#src/response/units/unit-matcher.js';
export type { UnitMatch } from '#src/response/units/unit-matcher.js';
export { IncidentsService } from '#src/response/incidents/incidents.service.js';
export { UnitsService } from '#src/response/units/units.service.js';
