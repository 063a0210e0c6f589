import type pg from 'pg';
import type { EntityManager } from 'typeorm';

/**
 * The feed version counter (`feed_version`, one row): the only code that reads or writes it.
 * `last` is the last committed version; `last_added_at` the time of its change. Writers advance
 * it under its row lock, so versions are dense and commit in order (decision 0005).
 */

/** A connection that answers rows: a TypeORM DataSource, EntityManager or QueryRunner. */
interface RowQueryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

const READ = `SELECT last FROM feed_version`;

/**
 * The committed version as a SQL expression, for statements that must not read past it (one
 * statement sees one snapshot, so it agrees with the rows read beside it).
 */
export const COMMITTED_FEED_VERSION_SQL = `(${READ})`;

/**
 * The time of the last version's change (`last_added_at`) as a one-row relation, for the
 * statement that times the changes it numbers.
 */
export const FEED_VERSION_TIME_SQL = `(SELECT last_added_at FROM feed_version)`;

/** The last committed version, read on `connection` (the caller's transaction when given one). */
export async function readFeedVersion(connection: RowQueryable): Promise<number> {
  const [row] = (await connection.query(READ)) as { last: string }[];
  return Number(row.last);
}

/** The same, on a `pg` client of its own (a snapshot's REPEATABLE READ transaction). */
export async function readFeedVersionOn(client: pg.ClientBase): Promise<number> {
  const { rows } = await client.query<{ last: string }>(READ);
  return Number(rows[0].last);
}

/** Takes the version's row lock for the rest of the caller's transaction (idempotent). */
export async function lockFeedVersion(manager: EntityManager): Promise<void> {
  await manager.query(`${READ} FOR UPDATE`);
}

/**
 * Advances the version by `count` (under the lock) and answers the new one. The change times
 * continue from the last one, 1 µs apart, so that they increase strictly with the versions
 * (TAXII pages by them: decision 0007).
 */
export async function advanceFeedVersion(manager: EntityManager, count: number): Promise<number> {
  // An UPDATE answers [rows, affected count] through TypeORM.
  const [rows] = await manager.query<[{ last: string }[], number]>(
    `UPDATE feed_version
        SET last = last + $1,
            last_added_at = greatest(clock_timestamp(), last_added_at) + $1 * interval '1 microsecond'
      RETURNING last`,
    [count],
  );
  return Number(rows[0].last);
}

/** The channel on which the new version is announced at commit (FeedVersionWatcher listens). */
export const FEED_VERSION_CHANNEL = 'feed_version';

/** Announces `version` to every instance, delivered when (and only if) the transaction commits. */
export async function notifyFeedVersion(manager: EntityManager, version: number): Promise<void> {
  await manager.query(`SELECT pg_notify('${FEED_VERSION_CHANNEL}', $1)`, [String(version)]);
}
