import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { createDataSource } from '#src/platform/database/data-source.js';
import { runMigrations } from '#src/platform/database/migrations.js';
import { revertThrough } from '#test/support/migrations.js';
import { freshDatabase } from '#test/support/database-urls.js';

const DB = { DB_POOL_MAX: 2, DB_CONNECT_TIMEOUT_MS: 5000, DB_STATEMENT_TIMEOUT_MS: 0 };

/** RFC 4122 version 3 uuid in the feed's namespace, computed here independently of SQL. */
function uuidV3(name: string): string {
  const hash = createHash('md5')
    .update(Buffer.from('6f1c0a53e2d84a3c9b7e5d0c4a2f8e61', 'hex'))
    .update(name, 'utf8')
    .digest();
  hash[6] = (hash[6] & 0x0f) | 0x30;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const h = hash.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * The FeedStix migration on a database that already has feed history: each change gets the
 * STIX object it is a version of and a time that increases strictly with the version.
 */
describe('FeedStix migration backfill', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let ds: DataSource;
  const ids = {
    org: '11111111-1111-4111-8111-111111111111',
    again: '22222222-2222-4222-8222-222222222222',
    once: '33333333-3333-4333-8333-333333333333',
  };

  beforeAll(async () => {
    db = await freshDatabase();
    ds = await createDataSource(db.url, DB);
    await ds.initialize();
    // Back to the schema just before FeedStix: later migrations are undone first.
    await revertThrough(ds, 'FeedStix1795876256165');
    await ds.query(
      `INSERT INTO organizations (id, kind, name, short_code, version)
       VALUES ($1, 'isp', 'ISP', 'ISP-M', 1)`,
      [ids.org],
    );
    await ds.query(
      `INSERT INTO indicators (id, type, value) VALUES ($1, 'domain', 'again.example'),
                                                      ($2, 'domain', 'once.example')`,
      [ids.again, ids.once],
    );
    // again: added (1), removed (2), added again (3); once: added (4). All at the same time.
    await ds.query(
      `INSERT INTO feed_changes (version, organization_id, indicator_id, op, reason, created_at)
       VALUES (1, $1, $2, 'add', 'block', '2026-01-01T00:00:00Z'),
              (2, $1, $2, 'remove', 'withdrawal', '2026-01-01T00:00:00Z'),
              (3, $1, $2, 'add', 'block', '2026-01-01T00:00:00Z'),
              (4, $1, $3, 'add', 'block', '2026-01-01T00:00:00Z')`,
      [ids.org, ids.again, ids.once],
    );
    await ds.query(
      `INSERT INTO feed_active (organization_id, indicator_id, since_version)
       VALUES ($1, $2, 3), ($1, $3, 4)`,
      [ids.org, ids.again, ids.once],
    );
    await ds.query(`UPDATE feed_version SET last = 4`);
    await runMigrations(ds);
  });
  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  it('gives each change the object it versions: the first activation the indicator id, a re-activation a derived one', async () => {
    const rows = await ds.query<{ version: string; stix_id: string }[]>(
      `SELECT version, stix_id FROM feed_changes ORDER BY version`,
    );
    const reactivated = uuidV3(`${ids.again}:3`);
    expect(rows.map((r) => r.stix_id)).toEqual([ids.again, ids.again, reactivated, ids.once]);
    const active = await ds.query<{ indicator_id: string; stix_id: string }[]>(
      `SELECT indicator_id, stix_id FROM feed_active ORDER BY since_version`,
    );
    expect(active.map((a) => a.stix_id)).toEqual([reactivated, ids.once]);
  });

  it('gives strictly increasing times, remembered for the next writer', async () => {
    const rows = await ds.query<{ t: string }[]>(
      `SELECT to_char(added_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS t
         FROM feed_changes ORDER BY version`,
    );
    const times = rows.map((r) => r.t);
    expect(new Set(times).size).toBe(4);
    expect([...times].sort()).toEqual(times);
    const [{ ok }] = await ds.query<{ ok: boolean }[]>(
      `SELECT last_added_at = (SELECT max(added_at) FROM feed_changes) AS ok FROM feed_version`,
    );
    expect(ok).toBe(true);
    const [{ same }] = await ds.query<{ same: boolean }[]>(
      `SELECT bool_and(a.added_at = c.added_at) AS same
         FROM feed_active a JOIN feed_changes c ON c.version = a.since_version`,
    );
    expect(same).toBe(true);
  });
});
