import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { createDataSource } from '#src/platform/database/data-source.js';
import { runMigrations } from '#src/platform/database/migrations.js';
import { revertThrough } from '#test/support/migrations.js';
import { freshDatabase } from '#test/support/database-urls.js';

const DB = { DB_POOL_MAX: 2, DB_CONNECT_TIMEOUT_MS: 5000, DB_STATEMENT_TIMEOUT_MS: 0 };

/**
 * The AssignmentFeedVersion migration on a database with published requests: each assignment
 * gets the last version its publication wrote to its ISP's feed (a later withdrawal does not
 * count), or, when it wrote nothing there, the last version before the assignment.
 */
describe('AssignmentFeedVersion migration backfill', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let ds: DataSource;
  const id = {
    dept: '10000000-0000-4000-8000-000000000001',
    ispA: '10000000-0000-4000-8000-000000000002',
    ispB: '10000000-0000-4000-8000-000000000003',
    r1: '20000000-0000-4000-8000-000000000001',
    r2: '20000000-0000-4000-8000-000000000002',
    x: '30000000-0000-4000-8000-000000000001',
    y: '30000000-0000-4000-8000-000000000002',
  };

  beforeAll(async () => {
    db = await freshDatabase();
    ds = await createDataSource(db.url, DB);
    await ds.initialize();
    await revertThrough(ds, 'AssignmentFeedVersion1795880000100');
    await ds.query(
      `INSERT INTO organizations (id, kind, name, short_code, version)
       VALUES ($1, 'department', 'Dept', 'DEPT-M', 1), ($2, 'isp', 'A', 'ISP-A', 1),
              ($3, 'isp', 'B', 'ISP-B', 1)`,
      [id.dept, id.ispA, id.ispB],
    );
    await ds.query(
      `INSERT INTO indicators (id, type, value) VALUES ($1, 'domain', 'x.example'),
                                                      ($2, 'domain', 'y.example')`,
      [id.x, id.y],
    );
    for (const [r, doc] of [
      [id.r1, 'M-1'],
      [id.r2, 'M-2'],
    ]) {
      await ds.query(
        `INSERT INTO blocking_requests (id, document_number, title, legal_basis, category, severity,
                                        status, targets_all, issued_by, created_by, published_at)
         VALUES ($1, $2, 't', 'l', 'botnet', 'high', 'published', true, $3, $3, now())`,
        [r, doc, id.dept],
      );
    }
    // r1 reaches A at 1 and B at 2, and is withdrawn for A at 5; r2 writes 3 and 4 to A's
    // feed and nothing to B's (B had its items already).
    await ds.query(
      `INSERT INTO feed_changes (version, organization_id, indicator_id, op, reason, request_id,
                                 created_at, added_at, stix_id)
       VALUES (1, $1, $3, 'add', 'block', $5, '2026-01-01T00:00:01Z', '2026-01-01T00:00:01Z', $3),
              (2, $2, $3, 'add', 'block', $5, '2026-01-01T00:00:01Z', '2026-01-01T00:00:02Z', $3),
              (3, $1, $4, 'add', 'block', $6, '2026-01-02T00:00:00Z', '2026-01-02T00:00:01Z', $4),
              (4, $1, $4, 'remove', 'unblock', $6, '2026-01-02T00:00:00Z', '2026-01-02T00:00:02Z', $4),
              (5, $1, $3, 'remove', 'withdrawal', $5, '2026-01-03T00:00:00Z', '2026-01-03T00:00:00Z', $3)`,
      [id.ispA, id.ispB, id.x, id.y, id.r1, id.r2],
    );
    await ds.query(`UPDATE feed_version SET last = 5`);
    await ds.query(
      `INSERT INTO assignments (request_id, organization_id, deadline_at, created_at)
       VALUES ($1, $3, now(), '2026-01-01T00:00:00Z'), ($1, $4, now(), '2026-01-01T00:00:00Z'),
              ($2, $3, now(), '2026-01-02T00:00:00Z'), ($2, $4, now(), '2026-01-02T00:00:00Z')`,
      [id.r1, id.r2, id.ispA, id.ispB],
    );
    await runMigrations(ds);
  });
  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  it('sets each assignment’s feed version from its publication’s changes', async () => {
    const rows = await ds.query<{ request_id: string; organization_id: string; v: number }[]>(
      `SELECT request_id, organization_id, feed_version::int AS v FROM assignments`,
    );
    const of = (r: string, o: string) =>
      rows.find((x) => x.request_id === r && x.organization_id === o)?.v;
    expect(of(id.r1, id.ispA)).toBe(1); // not 5: the withdrawal is not part of the publication
    expect(of(id.r1, id.ispB)).toBe(2);
    expect(of(id.r2, id.ispA)).toBe(4);
    // Nothing written to B's feed by r2: the last version added before the assignment.
    expect(of(id.r2, id.ispB)).toBe(2);
    const [column] = await ds.query<{ is_nullable: string }[]>(
      `SELECT is_nullable FROM information_schema.columns
        WHERE table_name = 'assignments' AND column_name = 'feed_version'`,
    );
    expect(column.is_nullable).toBe('NO');
  });
});
