import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource, EntityManager } from 'typeorm';
import { FeedWriter } from '#src/feeds/change-log/feed-writer.js';
import { createDataSource } from '#src/platform/database/data-source.js';
import { runMigrations } from '#src/platform/database/migrations.js';
import { revertThrough } from '#test/support/migrations.js';
import { freshDatabase } from '#test/support/database-urls.js';

const DB = { DB_POOL_MAX: 2, DB_CONNECT_TIMEOUT_MS: 5000, DB_STATEMENT_TIMEOUT_MS: 0 };

const id = {
  dept: '00000000-0000-4000-8000-00000000000d',
  ispA: '00000000-0000-4000-8000-00000000000a',
  ispB: '00000000-0000-4000-8000-00000000000b',
  ispC: '00000000-0000-4000-8000-00000000000c',
  x: '10000000-0000-4000-8000-000000000001',
  y: '10000000-0000-4000-8000-000000000002',
  z: '10000000-0000-4000-8000-000000000003',
  w: '10000000-0000-4000-8000-000000000004',
  r1: '20000000-0000-4000-8000-000000000001',
  r2: '20000000-0000-4000-8000-000000000002',
  r3: '20000000-0000-4000-8000-000000000003',
};

type Rows = Record<string, unknown>[];

/**
 * The FeedAudiences migration on a database holding per-ISP feed history: every ISP's changes,
 * active set and claims read the same through the views afterwards, and the writer carries on
 * from the converted rows (a withdrawal, a re-publication).
 */
describe('FeedAudiences migration of per-ISP feed rows', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let ds: DataSource;
  const before: Record<string, Rows> = {};
  const read = (sql: string) => ds.query<Rows>(sql);
  const snapshot = async () => ({
    changes: await read(
      `SELECT version::int, organization_id, indicator_id, op, reason, request_id, stix_id,
              added_at FROM feed_changes ORDER BY version, organization_id`,
    ),
    active: await read(
      `SELECT organization_id, indicator_id, since_version::int, stix_id, added_at
         FROM feed_active ORDER BY organization_id, indicator_id`,
    ),
    claims: await read(
      `SELECT indicator_id, organization_id, request_id FROM feed_claims
        ORDER BY indicator_id, organization_id, request_id`,
    ),
  });
  const inTransaction = <T>(work: (manager: EntityManager) => Promise<T>) => ds.transaction(work);
  const activeOf = async (org: string) =>
    (
      await ds.query<{ indicator_id: string }[]>(
        `SELECT indicator_id FROM feed_active WHERE organization_id = $1 ORDER BY indicator_id`,
        [org],
      )
    ).map((r) => r.indicator_id);

  beforeAll(async () => {
    db = await freshDatabase();
    ds = await createDataSource(db.url, DB);
    await ds.initialize();
    await revertThrough(ds, 'FeedAudiences1795956000000');
    await ds.query(
      `INSERT INTO organizations (id, kind, name, short_code, version)
       VALUES ($1, 'department', 'Department', 'DEPT-M', 1), ($2, 'isp', 'A', 'ISP-MA', 1),
              ($3, 'isp', 'B', 'ISP-MB', 1), ($4, 'isp', 'C', 'ISP-MC', 1)`,
      [id.dept, id.ispA, id.ispB, id.ispC],
    );
    await ds.query(
      `INSERT INTO indicators (id, type, value)
       VALUES ($1, 'domain', 'x.example'), ($2, 'domain', 'y.example'),
              ($3, 'domain', 'z.example'), ($4, 'domain', 'w.example')`,
      [id.x, id.y, id.z, id.w],
    );
    for (const [r, doc] of [
      [id.r1, 'A-1'],
      [id.r2, 'A-2'],
      [id.r3, 'A-3'],
    ]) {
      await ds.query(
        `INSERT INTO blocking_requests (id, document_number, title, legal_basis, category, severity,
                                        status, targets_all, issued_by, created_by, published_at)
         VALUES ($1, $2, 't', 'l', 'botnet', 'high', 'published', true, $3, $3, now())`,
        [r, doc, id.dept],
      );
    }
    // r1 blocks x and y for A, B, C (1–6); r2 blocks x and z for A and B (z: 7, 8; x was
    // active already); y is unblocked for C (9).
    await ds.query(
      `INSERT INTO feed_changes (version, organization_id, indicator_id, op, reason, request_id,
                                 created_at, added_at, stix_id)
       SELECT v, o, i, op, reason, r, '2026-01-01T00:00:00Z',
              '2026-01-01T00:00:00Z'::timestamptz + v * interval '1 microsecond', i
         FROM (VALUES (1, $1::uuid, $4::uuid, 'add', 'block', $7::uuid),
                      (2, $2, $4, 'add', 'block', $7), (3, $3, $4, 'add', 'block', $7),
                      (4, $1, $5, 'add', 'block', $7), (5, $2, $5, 'add', 'block', $7),
                      (6, $3, $5, 'add', 'block', $7), (7, $1, $6, 'add', 'block', $8),
                      (8, $2, $6, 'add', 'block', $8), (9, $3, $5, 'remove', 'unblock', NULL))
              AS t(v, o, i, op, reason, r)`,
      [id.ispA, id.ispB, id.ispC, id.x, id.y, id.z, id.r1, id.r2],
    );
    await ds.query(
      `INSERT INTO feed_active (organization_id, indicator_id, since_version, stix_id, added_at)
       SELECT organization_id, indicator_id, version, stix_id, added_at FROM feed_changes c
        WHERE op = 'add' AND NOT EXISTS (SELECT 1 FROM feed_changes d
                                          WHERE d.organization_id = c.organization_id
                                            AND d.indicator_id = c.indicator_id
                                            AND d.version > c.version)`,
    );
    await ds.query(
      `INSERT INTO feed_claims (indicator_id, organization_id, request_id)
       VALUES ($4, $1, $6), ($4, $2, $6), ($4, $3, $6), ($5, $1, $6), ($5, $2, $6),
              ($4, $1, $7), ($4, $2, $7), ($8, $1, $7), ($8, $2, $7)`,
      [id.ispA, id.ispB, id.ispC, id.x, id.y, id.r1, id.r2, id.z],
    );
    await ds.query(
      `UPDATE feed_version SET last = 9,
              last_added_at = '2026-01-01T00:00:00Z'::timestamptz + 9 * interval '1 microsecond'`,
    );
    Object.assign(before, await snapshot());
    await runMigrations(ds);
  });
  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  it('keeps every ISP’s changes, active set and claims as they were, row for row', async () => {
    expect(before.changes).toHaveLength(9);
    expect(before.active).toHaveLength(7);
    expect(before.claims).toHaveLength(9);
    expect(await snapshot()).toEqual(before);
    // History stays per ISP; a claim's ISPs become one row with its audience.
    const [counts] = await read(
      `SELECT (SELECT count(*)::int FROM feed_log) AS log,
              (SELECT count(*)::int FROM feed_active_sets) AS active,
              (SELECT count(*)::int FROM feed_claim_sets) AS claims`,
    );
    expect(counts).toEqual({ log: 9, active: 7, claims: 4 });
  });

  it('lets the writer carry on: a withdrawal removes only what no other request holds', async () => {
    const writer = new FeedWriter();
    const withdrawn = await inTransaction((m) => writer.withdraw(m, id.r1));
    // x leaves C only (r2 still holds it for A and B); y leaves A and B.
    expect(withdrawn).toMatchObject({ fromVersion: 9, added: 0, removed: 3 });
    expect(await activeOf(id.ispA)).toEqual([id.x, id.z]);
    expect(await activeOf(id.ispB)).toEqual([id.x, id.z]);
    expect(await activeOf(id.ispC)).toEqual([]);
    const removals = await read(
      `SELECT organization_id, indicator_id, reason, stix_id FROM feed_changes
        WHERE version > 9 ORDER BY organization_id`,
    );
    expect(removals).toEqual([
      { organization_id: id.ispA, indicator_id: id.y, reason: 'withdrawal', stix_id: id.y },
      { organization_id: id.ispB, indicator_id: id.y, reason: 'withdrawal', stix_id: id.y },
      { organization_id: id.ispC, indicator_id: id.x, reason: 'withdrawal', stix_id: id.x },
    ]);
  });

  it('a new publication to all three: y comes back as new STIX objects, w as its own, in one row each', async () => {
    await ds.query(
      `INSERT INTO blocking_request_items (request_id, indicator_id, operation)
       VALUES ($1, $2, 'block'), ($1, $3, 'block')`,
      [id.r3, id.y, id.w],
    );
    const writer = new FeedWriter();
    const published = await inTransaction((m) =>
      writer.publish(m, id.r3, [id.ispA, id.ispB, id.ispC]),
    );
    // y: all three had it once; w: nobody had. Two rows, two versions, six changes.
    expect(published.toVersion - published.fromVersion).toBe(2);
    expect(published).toMatchObject({ added: 6, removed: 0 });
    const rows = await read(
      `SELECT indicator_id, stix_id, version::int FROM feed_log
        WHERE version > ${published.fromVersion} ORDER BY indicator_id`,
    );
    const y = rows.find((r) => r.indicator_id === id.y)!;
    expect(y.stix_id).not.toBe(id.y);
    expect(rows.find((r) => r.indicator_id === id.w)!.stix_id).toBe(id.w);
    for (const org of [id.ispA, id.ispB, id.ispC]) {
      expect(await activeOf(org)).toEqual(expect.arrayContaining([id.y, id.w]));
    }
    expect(
      published.publishedTo.every((p) => p.version === published.toVersion || p.version > 9),
    ).toBe(true);
  });
});
