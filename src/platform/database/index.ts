/**
 * The public entry of platform/database: what other contexts and the composition root use.
 * Inside it, files import each other directly, never through this entry. Written by
 * eslint/context-entries.js; checked by boundaries/context-imports.
 */
export { createDataSource, dedicatedClient } from '#src/platform/database/data-source.js';
export {
  isDatabaseUnavailable,
  sqlState,
  uniqueViolation,
} from '#src/platform/database/database-errors.js';
export { resetEmbeddedDatabase, resolveDatabase } from '#src/platform/database/database-url.js';
export type { DatabaseTarget } from '#src/platform/database/database-url.js';
export { DatabaseModule } from '#src/platform/database/database.module.js';
export type { DatabaseModuleOptions } from '#src/platform/database/database.module.js';
export { renderMigration } from '#src/platform/database/migration-template.js';
export {
  revertLastMigration,
  runMigrations,
  schemaDrift,
} from '#src/platform/database/migrations.js';
export type { Queryable } from '#src/platform/database/queryable.js';
export { updateIfVersion } from '#src/platform/database/versioned-update.js';
