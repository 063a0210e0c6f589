import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { ChainWalk } from '#src/audit/trail/chain.js';
import { AuditChainRepository } from '#src/audit/verification/audit-chain.repository.js';
import { createDataSource } from '#src/platform/database/data-source.js';
import { runMigrations } from '#src/platform/database/migrations.js';
import { freshDatabase } from '#test/support/database-urls.js';
import { revertThrough } from '#test/support/migrations.js';

const DB = { DB_POOL_MAX: 2, DB_CONNECT_TIMEOUT_MS: 5000, DB_STATEMENT_TIMEOUT_MS: 0 };

/**
 * The AuditChain migration on a trail written before the chain existed: the rows are chained
 * in their order (times cut to milliseconds), the head ends at the last one, the result
 * verifies, and the migration can be undone and applied again.
 */
describe('AuditChain migration on an existing trail', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let ds: DataSource;
  const ROWS = 12_345;

  beforeAll(async () => {
    db = await freshDatabase();
    ds = await createDataSource(db.url, DB);
    await ds.initialize();
    await revertThrough(ds, 'AuditChain1795890000000');
    await ds.query(
      `INSERT INTO audit_events (at, actor_type, actor_id, organization_id, roles, action,
                                 object_type, object_id, summary, request_id, client_ip)
       SELECT timestamptz '2026-01-01 00:00:00.123456+00' + i * interval '1.000789 second',
              CASE WHEN i % 3 = 0 THEN 'system' ELSE 'user' END,
              CASE WHEN i % 3 = 0 THEN NULL ELSE gen_random_uuid() END,
              NULL, CASE WHEN i % 3 = 0 THEN '{}'::text[] ELSE '{analyst,approver}' END,
              'indicator.create', 'indicator', i::text,
              jsonb_build_object('value', 'ví-dụ-' || i || '.example', 'n', i, 'ok', i % 2 = 0),
              'req-' || i, '192.0.2.' || (i % 250)
         FROM generate_series(1, $1) AS i`,
      [ROWS],
    );
    await runMigrations(ds);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  const walkAll = async (): Promise<ChainWalk> => {
    const chain = new AuditChainRepository(ds);
    const walk = new ChainWalk();
    for (let after = 0; ;) {
      const batch = await chain.events(after, Number.MAX_SAFE_INTEGER, 5000);
      if (batch.length === 0) return walk;
      for (const e of batch) expect(walk.event(e.seq, e.fields, e.digest, e.hash)).toBeUndefined();
      after = batch[batch.length - 1].seq;
    }
  };

  it('chains the existing rows in their order, dense, and the head ends at the last', async () => {
    const [order] = await ds.query<{ n: string; in_order: boolean; ms: boolean }[]>(
      `SELECT count(*) AS n, bool_and(seq = id) AS in_order,
              bool_and(at = date_trunc('milliseconds', at)) AS ms
         FROM audit_events`,
    );
    expect(order).toEqual({ n: String(ROWS), in_order: true, ms: true });
    const walk = await walkAll();
    expect(walk.size).toBe(ROWS);
    const [head] = await ds.query<{ seq: string; hash: Buffer }[]>(`SELECT * FROM audit_head`);
    expect(Number(head.seq)).toBe(ROWS);
    expect(head.hash.equals(walk.head)).toBe(true);
  });

  it('can be undone and applied again, with the same chain', async () => {
    const before = (await walkAll()).head;
    await revertThrough(ds, 'AuditChain1795890000000');
    await runMigrations(ds);
    expect((await walkAll()).head.equals(before)).toBe(true);
  });
});
