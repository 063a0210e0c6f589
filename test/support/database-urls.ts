import pg from 'pg';
import { createDataSource } from '#src/platform/database/data-source.js';
import { runMigrations } from '#src/platform/database/migrations.js';
/** The migrated database of this test run (made by global-setup.ts). */
export function testDatabaseUrl(): string {
  const url = process.env.TEST_DB_URL;
  if (!url) throw new Error('TEST_DB_URL is not set: run the tests through npm test');
  return url;
}

/** Runs one statement on the run's server's `postgres` database (CREATE/DROP DATABASE, roles). */
export async function runOnServer(sql: string): Promise<void> {
  const admin = new URL(testDatabaseUrl());
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A new, migrated database on the run's server, for a test that needs one of its own (an
 * empty database, say). Drop it with the returned function.
 */
export async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = new URL(testDatabaseUrl());
  const name = `test_fresh_${process.pid}_${Date.now().toString(36)}`;
  await runOnServer(`CREATE DATABASE "${name}"`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const ds = await createDataSource(url.toString(), {
    DB_POOL_MAX: 1,
    DB_CONNECT_TIMEOUT_MS: 5000,
    DB_STATEMENT_TIMEOUT_MS: 0,
  });
  await ds.initialize();
  try {
    await runMigrations(ds);
  } finally {
    await ds.destroy();
  }
  return {
    url: url.toString(),
    drop: () => runOnServer(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

/**
 * Runs SQL as the database's owner (the login role), not as the service's role
 * (DB_APP_ROLE): for what the service may not do — triggers that inject failures, tampering
 * with the audit trail, terminating the service's sessions.
 */
export async function ownerQuery<T = Record<string, unknown>>(
  sql: string,
  params: unknown[] = [],
  url = testDatabaseUrl(),
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}
