import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { createDataSource } from '#src/platform/database/data-source.js';
import { runMigrations } from '#src/platform/database/migrations.js';
import { revertThrough } from '#test/support/migrations.js';
import { freshDatabase } from '#test/support/database-urls.js';

const DB = { DB_POOL_MAX: 2, DB_CONNECT_TIMEOUT_MS: 5000, DB_STATEMENT_TIMEOUT_MS: 0 };

/** ClampFeedPulls: pulls recorded above the committed version come down to it; others stay. */
describe('ClampFeedPulls migration', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let ds: DataSource;
  const isp = '10000000-0000-4000-8000-000000000002';
  const actor = '10000000-0000-4000-8000-000000000009';

  beforeAll(async () => {
    db = await freshDatabase();
    ds = await createDataSource(db.url, DB);
    await ds.initialize();
    await revertThrough(ds, 'ClampFeedPulls1795920000000');
    await ds.query(
      `INSERT INTO organizations (id, kind, name, short_code, version)
       VALUES ($1, 'isp', 'A', 'ISP-A', 1)`,
      [isp],
    );
    await ds.query(`UPDATE feed_version SET last = 42`);
    await ds.query(
      `INSERT INTO feed_pulls (organization_id, actor_type, actor_id, format, from_version,
                               to_version, status, bytes)
       VALUES ($1, 'api_client', $2, 'changes', 999999999999999, 999999999999999, 304, 0),
              ($1, 'api_client', $2, 'taxii', 7, 999999999999999999, 200, 10),
              ($1, 'api_client', $2, 'changes', 3, 40, 200, 10),
              ($1, 'api_client', $2, 'txt', NULL, 42, 200, 10)`,
      [isp, actor],
    );
    await runMigrations(ds);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('brings inflated versions down to the committed one and leaves the rest', async () => {
    const rows = await ds.query<{ from_version: string | null; to_version: string }[]>(
      `SELECT from_version, to_version FROM feed_pulls ORDER BY id`,
    );
    expect(rows).toEqual([
      { from_version: '42', to_version: '42' },
      { from_version: '7', to_version: '42' },
      { from_version: '3', to_version: '40' },
      { from_version: null, to_version: '42' },
    ]);
  });
});
