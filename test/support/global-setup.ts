import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
// Jest loads global setup outside its module system: `#src/*` resolves to the build (dist/),
// which `npm test` makes first.
import { createDataSource } from '#src/platform/database/data-source.js';
import { EmbeddedPostgres } from '#src/platform/database/embedded-postgres.js';
import { runMigrations } from '#src/platform/database/migrations.js';

declare global {
  var __TEST_DATABASE_TEARDOWN__: (() => Promise<void>) | undefined;
}

const DB_SETTINGS = { DB_POOL_MAX: 2, DB_CONNECT_TIMEOUT_MS: 5000, DB_STATEMENT_TIMEOUT_MS: 0 };

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function adminQuery(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * One database for the whole run, migrated once. With TEST_DATABASE_URL (or DATABASE_URL) a
 * fresh database is created on that server and dropped afterwards; without, an embedded
 * PostgreSQL runs in a temporary folder that is removed afterwards. Tests read the result
 * from TEST_DB_URL (inherited by Jest's workers).
 */
export default async function globalSetup(): Promise<void> {
  const serverUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
  let url: string;
  if (serverUrl) {
    const database = `test_${process.pid}_${Date.now().toString(36)}`;
    await adminQuery(serverUrl, `CREATE DATABASE "${database}"`);
    url = withDatabase(serverUrl, database);
    globalThis.__TEST_DATABASE_TEARDOWN__ = () =>
      adminQuery(serverUrl, `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  } else {
    const dir = await mkdtemp(path.join(tmpdir(), 'threat-exchange-test-pg-'));
    await chmod(dir, 0o755); // as root, the server runs as the postgres user: let it in
    const embedded = await EmbeddedPostgres.start({
      dataDir: path.join(dir, 'data'),
      database: 'threat_exchange_test',
    });
    url = embedded.url;
    globalThis.__TEST_DATABASE_TEARDOWN__ = async () => {
      await embedded.stop();
      await rm(dir, { recursive: true, force: true });
    };
  }
  process.env.TEST_DB_URL = url;
  const dataSource = await createDataSource(url, DB_SETTINGS);
  try {
    await dataSource.initialize();
    await runMigrations(dataSource);
  } catch (error) {
    // Jest runs no teardown when the setup fails: clean up here.
    await globalThis.__TEST_DATABASE_TEARDOWN__?.();
    throw error;
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
  }
}
