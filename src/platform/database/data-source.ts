import pg from 'pg';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DataSource, type MixedList } from 'typeorm';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';
import type { PlatformConfig } from '#src/platform/config/index.js';

/**
 * `migrations/` at the top of the repository: the same relative path from `src/platform/database/`
 * (sources, in tests) and from `dist/src/platform/database/` (the build, which holds `dist/migrations/`).
 */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations/', import.meta.url));

/** Loads every migration class in MIGRATIONS_DIR (`.ts` under Jest, `.js` from the build). */
export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<MixedList<Function>> {
  const files = (await readdir(dir).catch(() => []))
    .filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith('.d.ts'))
    .sort();
  const classes: Function[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(path.join(dir, file)).href)) as Record<string, unknown>;
    for (const value of Object.values(mod)) {
      const proto = (value as { prototype?: { up?: unknown; down?: unknown } } | undefined)
        ?.prototype;
      if (
        typeof value === 'function' &&
        typeof proto?.up === 'function' &&
        typeof proto.down === 'function'
      ) {
        classes.push(value);
      }
    }
  }
  return classes;
}

export type DbSettings = Pick<
  PlatformConfig,
  'DB_POOL_MAX' | 'DB_CONNECT_TIMEOUT_MS' | 'DB_STATEMENT_TIMEOUT_MS'
> & {
  /**
   * The role the connections act as (the service: DB_APP_ROLE, which may only read and append
   * to the audit tables). Unset for the owner's connections: migrations, the CLI.
   */
  role?: string;
  /**
   * The TypeORM entities (the composition root's list, src/app/entities.ts): needed by the
   * application, the migration drift check and the demo seed; none for migrations alone.
   */
  entities?: Function[];
};

/** libpq startup options that make a session act as `role` from its first statement. */
function roleOptions(role: string | undefined): { options?: string } {
  return role ? { options: `-c role=${role}` } : {};
}

/**
 * The one description of our database connection, used by the app, the CLI and the tests.
 * `synchronize` is never on: the schema changes only through `migrations/`.
 */
export async function dataSourceOptions(
  url: string,
  db: DbSettings,
): Promise<PostgresDataSourceOptions> {
  return {
    type: 'postgres',
    url,
    entities: db.entities ?? [],
    migrations: await loadMigrations(),
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    // gen_random_uuid() is built into PostgreSQL 13+: no extension to install.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    migrationsRun: false,
    applicationName: 'threat-exchange',
    poolSize: db.DB_POOL_MAX,
    connectTimeoutMS: db.DB_CONNECT_TIMEOUT_MS,
    extra: {
      // Server-side guard against runaway queries; 0 leaves the server default. The client-side
      // guard a little above it catches a connection that died silently (no FIN, no RST).
      ...(db.DB_STATEMENT_TIMEOUT_MS > 0
        ? {
            statement_timeout: db.DB_STATEMENT_TIMEOUT_MS,
            query_timeout: db.DB_STATEMENT_TIMEOUT_MS + 5000,
          }
        : {}),
      ...roleOptions(db.role),
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      idleTimeoutMillis: 30_000,
    },
  };
}

export async function createDataSource(url: string, db: DbSettings): Promise<DataSource> {
  return new DataSource(await dataSourceOptions(url, db));
}

/**
 * A connection outside the pool, to the data source's database (not yet connected): for work
 * that outlives an API statement (bulk import, snapshot streams) or listens (LISTEN/NOTIFY).
 * No statement or query timeout; TCP keep-alive on; `purpose` names it in pg_stat_activity.
 */
export function dedicatedClient(dataSource: DataSource, purpose: string): pg.Client {
  const options = dataSource.options as PostgresDataSourceOptions;
  return new pg.Client({
    connectionString: options.url,
    // The pool's startup options (the role it acts as) hold for these connections too.
    options: (options.extra as { options?: string } | undefined)?.options,
    application_name: `threat-exchange-${purpose}`,
    keepAlive: true,
  });
}
