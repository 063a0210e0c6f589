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

/** The value of one sample of the Prometheus text (0 when absent). */
export function metric(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.split(' ').pop()) : 0;
}

/**
 * Kills a backend of this app in the middle of a transaction: a lock on `table` (taken in a
 * transaction of `admin`) holds its next write back; once one of the app's backends (those
 * behind its TcpProxy, `ports`) waits on it, it is terminated and the lock released. Resolves
 * with the trigger's result, the time of the kill and the pid killed.
 */
export async function killWhileBlocked<T>(options: {
  admin: pg.Client;
  /** The table locked, in `mode`, by the test. */
  table: string;
  mode: string;
  ports: Set<number>;
  trigger: () => Promise<T>;
  timeoutMs?: number;
}): Promise<{ result: T; killedAt: number; pid: number }> {
  const { admin } = options;
  await admin.query('BEGIN');
  let committed = false;
  try {
    await admin.query(`LOCK TABLE ${options.table} IN ${options.mode} MODE`);
    const operation = options.trigger();
    // The trigger's outcome is awaited below; a rejection before then is not unhandled.
    let outcome: unknown = 'pending';
    operation.then(
      (r) => (outcome = r),
      (e: unknown) => (outcome = e),
    );
    const deadline = Date.now() + (options.timeoutMs ?? 15000);
    for (;;) {
      // (pg_stat_activity.query may still show the previous statement of a backend that waits
      // for a lock while it parses the next: the lock it waits for says which.)
      const { rows } = await admin.query<{ pid: number }>(
        `SELECT a.pid FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid AND NOT l.granted
          WHERE l.relation = $1::regclass AND a.client_port = ANY($2::int[])`,
        [options.table, [...options.ports]],
      );
      if (rows.length > 0) {
        await admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
        const killedAt = Date.now();
        await admin.query('COMMIT');
        committed = true;
        return { result: await operation, killedAt, pid: rows[0].pid };
      }
      if (Date.now() > deadline) {
        const { rows: all } = await admin.query(
          `SELECT a.pid, client_port, wait_event_type, wait_event, state, left(query, 60) AS q,
                  l.relation::regclass::text AS rel, l.mode
             FROM pg_stat_activity a LEFT JOIN pg_locks l ON l.pid = a.pid AND NOT l.granted
            WHERE wait_event_type = 'Lock' AND client_port = ANY($1::int[])`,
          [[...options.ports]],
        );
        throw new Error(
          `no backend of the app waited on ${options.table} (the operation: ${JSON.stringify(outcome)?.slice(0, 500)}): ${JSON.stringify(all, null, 1)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    if (!committed) await admin.query('ROLLBACK');
  }
}
