/**
 * The public entry of obligations: what other contexts and the composition root use.
 * Inside it, files import each other directly, never through this entry. Written by
 * eslint/context-entries.js; checked by boundaries/context-imports.
 */
export { AssignmentEntity } from '#src/obligations/assignments/assignment.entity.js';
export { ObligationsConfig } from '#src/obligations/obligations.config.js';
export { ObligationsModule } from '#src/obligations/obligations.module.js';
export { SightingsObserver } from '#src/obligations/sightings/sightings-observer.js';
export type { RecordedSighting } from '#src/obligations/sightings/sightings-observer.js';
export { SightingsService } from '#src/obligations/sightings/sightings.service.js';
