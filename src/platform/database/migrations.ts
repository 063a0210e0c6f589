import { MigrationExecutor, type DataSource, type Migration, type QueryRunner } from 'typeorm';

/** Arbitrary constant key of the advisory lock that serialises migrations across instances. */
const MIGRATION_LOCK = 7_340_213_001;

/**
 * Applies pending migrations, each in its own transaction, on one connection that holds a
 * session advisory lock: two instances starting together migrate once, and a pool of one
 * connection is enough. The session has no statement timeout (a long migration, or waiting
 * for another instance's, is not an error).
 */
export async function runMigrations(dataSource: DataSource): Promise<Migration[]> {
  return withMigrationLock(dataSource, (runner) =>
    executor(dataSource, runner).executePendingMigrations(),
  );
}

export async function revertLastMigration(dataSource: DataSource): Promise<void> {
  await withMigrationLock(dataSource, (runner) => executor(dataSource, runner).undoLastMigration());
}

/**
 * Undoes migrations, newest first, down to and including `name`: the schema just before it
 * (for tests and benchmarks of a migration on data written by the schema it replaces).
 */
export async function revertThrough(dataSource: DataSource, name: string): Promise<void> {
  for (;;) {
    const [last] = await dataSource.query<{ name: string }[]>(
      `SELECT name FROM typeorm_migrations ORDER BY id DESC LIMIT 1`,
    );
    if (last === undefined) throw new Error(`migration ${name} was never applied`);
    await revertLastMigration(dataSource);
    if (last.name === name) return;
  }
}

function executor(dataSource: DataSource, runner: QueryRunner): MigrationExecutor {
  const migrations = new MigrationExecutor(dataSource, runner);
  migrations.transaction = 'each';
  return migrations;
}

async function withMigrationLock<T>(
  dataSource: DataSource,
  work: (runner: QueryRunner) => Promise<T>,
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SET statement_timeout = 0');
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      return await work(runner);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    await runner.query('RESET statement_timeout').catch(() => undefined);
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
