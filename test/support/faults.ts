import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { testDatabaseUrl } from '#test/support/database-urls.js';
import type { TestApp } from '#test/support/test-app.js';

/** Retries `check` every 50 ms until it passes or `timeoutMs` has gone (then its last error). */
export async function eventually(check: () => Promise<void>, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Resolves once `condition` holds (checked every 5 ms), or fails after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 15000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** The app listening on a free port of 127.0.0.1, and its base URL. */
export async function listening(t: TestApp): Promise<{ base: string; port: number }> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}`, port };
}

/** A superuser connection to the run's database, beside the application's. */
export async function adminClient(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: testDatabaseUrl() });
  await client.connect();
  return client;
}

/**
 * `pg_terminate_backend` on every backend of this database whose current query matches the
 * SQL `LIKE` pattern (other suites' backends run other queries), once one is there: the
 * pids killed.
 */
export async function terminateWhen(
  admin: pg.Client,
  queryLike: string,
  timeoutMs = 15000,
): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await admin.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE $1`,
      [queryLike],
    );
    if (rows.length > 0) {
      await admin.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [
        rows.map((r) => r.pid),
      ]);
      return rows.map((r) => r.pid);
    }
    if (Date.now() > deadline) throw new Error(`no backend ran a query like ${queryLike}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** The value of one sample of the Prometheus text (0 when absent). */
export function metric(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.split(' ').pop()) : 0;
}
