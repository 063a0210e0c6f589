/**
 * The public entry of obligations: what other contexts and the composition root use.
 * Inside it, files import each other directly, never through this entry. Written by
 * eslint/context-entries.js; checked by boundaries/context-imports.
 */
export { AssignmentEntity } from '#src/obligations/assignments/assignment.entity.js';
export { AssignmentsModule } from '#src/obligations/assignments/assignments.module.js';
export { ComplianceModule } from '#src/obligations/compliance/compliance.module.js';
export { ObligationsConfig } from '#src/obligations/obligations.config.js';
export { SightingsModule } from '#src/obligations/sightings/sightings.module.js';
