import type { DataSource, Migration } from 'typeorm';

/** Arbitrary constant key of the advisory lock that serialises migrations across instances. */
const MIGRATION_LOCK = 7_340_213_001;

/**
 * Applies pending migrations, holding a session advisory lock so that two instances starting
 * together do not both migrate. Each migration runs in its own transaction.
 */
export async function runMigrations(dataSource: DataSource): Promise<Migration[]> {
  return withMigrationLock(dataSource, () => dataSource.runMigrations({ transaction: 'each' }));
}

export async function revertLastMigration(dataSource: DataSource): Promise<void> {
  await withMigrationLock(dataSource, () => dataSource.undoLastMigration({ transaction: 'each' }));
}

async function withMigrationLock<T>(dataSource: DataSource, work: () => Promise<T>): Promise<T> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      return await work();
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    await runner.release();
  }
}

export interface SchemaDrift {
  up: string[];
  down: string[];
}

/**
 * What `migration:generate` would write against this (fully migrated) database: the SQL
 * that separates the entities from the schema that the migrations built. Empty when they
 * agree.
 */
export async function schemaDrift(dataSource: DataSource): Promise<SchemaDrift> {
  const sql = await dataSource.driver.createSchemaBuilder().log();
  return {
    up: sql.upQueries.map((q) => q.query),
    down: sql.downQueries.map((q) => q.query),
  };
}
