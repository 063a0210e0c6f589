/** A scratch database for a benchmark run (and plain SQL against it). */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { EmbeddedPostgres } from '#src/platform/database/embedded-postgres.js';

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** One statement on a connection of its own. */
export async function sql<T extends pg.QueryResultRow>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/**
 * A scratch database, and how to get rid of it: `bench_<random>` on the DATABASE_URL server,
 * or an embedded PostgreSQL in a temporary folder.
 */
export async function scratchDatabase(): Promise<{
  url: string;
  where: string;
  drop: () => Promise<void>;
}> {
  const server = process.env.DATABASE_URL;
  if (server) {
    const name = `bench_${randomBytes(6).toString('hex')}`;
    const admin = withDatabase(server, 'postgres');
    await sql(admin, `CREATE DATABASE "${name}"`);
    return {
      url: withDatabase(server, name),
      where: `DATABASE_URL server, scratch database ${name}`,
      drop: async () => {
        await sql(admin, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      },
    };
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'threat-exchange-bench-pg-'));
  await chmod(dir, 0o755); // as root, the server runs as the postgres user: let it in
  const embedded = await EmbeddedPostgres.start({
    dataDir: path.join(dir, 'data'),
    database: 'bench',
  });
  return {
    url: embedded.url,
    where: `embedded PostgreSQL in ${dir}`,
    drop: async () => {
      await embedded.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
