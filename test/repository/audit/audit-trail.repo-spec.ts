import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { AuditConfig } from '#src/audit/audit.config.js';
import { AuditExportRepository } from '#src/audit/export/audit-export.repository.js';
import type { ChainRow } from '#src/audit/export/export-writer.js';
import { AuditSearchRepository } from '#src/audit/search/audit-search.repository.js';
import { AuditChainRepository } from '#src/audit/verification/audit-chain.repository.js';
import { AuditSealer } from '#src/audit/trail/audit-sealer.js';
import { AuditService } from '#src/audit/trail/audit.service.js';
import { chainHash } from '#src/audit/trail/chain.js';
import type { Principal } from '#src/identity/auth/principal.js';
import { ManualClock } from '#src/platform/clock/clock.js';
import { repositoryDataSource, rolledBack, Rows } from '#test/support/repository-db.js';

/**
 * The audit trail's SQL: events written at commit to audit_pending, chained by the sealer,
 * read by the search (keyset paging) and the chain check. Other tests write events at the
 * same time: each test finds its own by a fresh object id.
 */
describe('audit trail (AuditService, AuditSealer, search and chain queries)', () => {
  let ds: DataSource;
  let audit: AuditService;
  let sealer: AuditSealer;
  let search: AuditSearchRepository;
  let chain: AuditChainRepository;
  let actor: Principal;
  let rows: Rows;
  const clock = new ManualClock(new Date('1986-03-01T10:00:00.123Z'));

  beforeAll(async () => {
    ds = await repositoryDataSource();
    audit = new AuditService(ds, clock);
    audit.onModuleInit(); // subscribes to the data source's commits
    // The periodic job is never started here: only flush() runs.
    sealer = new AuditSealer(
      ds,
      Object.assign(new AuditConfig(), { AUDIT_SEAL_INTERVAL_MS: 60_000 }),
    );
    search = new AuditSearchRepository(ds);
    chain = new AuditChainRepository(ds);
    rows = new Rows(ds);
    const org = await rows.organization('department');
    const user = await rows.user(org.id, ['analyst']);
    actor = {
      kind: 'user',
      id: user.id,
      organizationId: org.id,
      organizationKind: 'department',
      roles: ['analyst'],
      tokenId: randomUUID(),
    };
  });
  afterAll(async () => {
    await ds.destroy();
  });

  const event = (objectId: string, action = 'thing.update') => ({
    actor,
    action,
    objectType: 'thing',
    objectId,
    summary: { n: 1 },
    context: null,
  });
  const byObject = (objectId: string) => search.search({ objectId }, undefined, 100);

  it('an event is written with its transaction, and only if it commits', async () => {
    const kept = randomUUID();
    const dropped = randomUUID();
    await ds.transaction((m) => audit.record(m, event(kept)));
    await rolledBack(ds, (m) => audit.record(m, event(dropped)));
    await sealer.flush();
    expect(await byObject(kept)).toHaveLength(1);
    expect(await byObject(dropped)).toHaveLength(0);
  });

  it('events of a rolled-back savepoint are dropped, the rest of the transaction kept', async () => {
    const outer = randomUUID();
    const inner = randomUUID();
    await ds.transaction(async (m) => {
      await audit.record(m, event(outer));
      await m
        .transaction(async (nested) => {
          await audit.record(nested, event(inner));
          throw new Error('undo the savepoint');
        })
        .catch(() => undefined);
    });
    await sealer.flush();
    expect(await byObject(outer)).toHaveLength(1);
    expect(await byObject(inner)).toHaveLength(0);
  });

  it('concurrent writers and sealers leave a dense chain where each hash links to the previous', async () => {
    const objectId = randomUUID();
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        ds.transaction(async (m) => {
          await audit.record(m, event(objectId, `thing.step_${i}`));
          await audit.record(m, event(objectId, `thing.step_${i}`));
        }),
      ),
    );
    await Promise.all([sealer.flush(), sealer.flush(), sealer.flush()]);
    const seqs = (await byObject(objectId)).map((e) => Number(e.seq)).sort((a, b) => a - b);
    expect(seqs).toHaveLength(16);
    expect(new Set(seqs).size).toBe(16);

    const first = seqs[0];
    const last = seqs.at(-1)!;
    const stored = await chain.events(first, last, 10_000);
    expect(stored.map((e) => e.seq)).toEqual(
      Array.from({ length: last - first }, (_, i) => first + 1 + i),
    );
    let previous = (await chain.hashAt(first))!;
    for (const e of stored) {
      expect(e.hash.equals(chainHash(previous, e.digest))).toBe(true);
      previous = e.hash;
    }
    const head = await chain.head();
    expect(head.seq).toBeGreaterThanOrEqual(last);
    expect(head.maxSeq).toBe(head.seq);
  });

  it('the search pages by (at, id) without loss when events share their time', async () => {
    const objectId = randomUUID();
    // One transaction, one clock reading: every event has the same `at`.
    await ds.transaction(async (m) => {
      for (let i = 0; i < 5; i++) await audit.record(m, event(objectId));
    });
    await sealer.flush();
    const seen: string[] = [];
    let after: { at: string; id: string } | undefined;
    for (;;) {
      const page = await search.search({ objectId }, after, 2);
      seen.push(...page.slice(0, 2).map((e) => e.id));
      if (page.length <= 2) break;
      after = { at: `${page[1].at_micros}Z`, id: page[1].id };
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
    const all = await byObject(objectId);
    expect(new Set(all.map((e) => e.at_micros)).size).toBe(1);
    expect(all[0].at_micros).toBe('1986-03-01T10:00:00.123000');
    expect(seen).toEqual(all.map((e) => e.id)); // newest first: id descending within one time
  });

  it('an action filter ending with a dot is a literal prefix (`_` is no wildcard)', async () => {
    const objectId = randomUUID();
    await ds.transaction(async (m) => {
      await audit.record(m, event(objectId, 'thing_x.create'));
      await audit.record(m, event(objectId, 'thingax.create'));
    });
    await sealer.flush();
    const found = await search.search({ objectId, action: 'thing_x.' }, undefined, 10);
    expect(found.map((e) => e.action)).toEqual(['thing_x.create']);
  });

  it('the service’s role cannot change or delete a chained event', async () => {
    const objectId = randomUUID();
    await ds.transaction((m) => audit.record(m, event(objectId)));
    await sealer.flush();
    const [stored] = await byObject(objectId);
    await expect(
      ds.query(`UPDATE audit_events SET summary = '{}' WHERE id = $1`, [stored.id]),
    ).rejects.toThrow(/permission denied|append-only/);
    await expect(ds.query(`DELETE FROM audit_events WHERE id = $1`, [stored.id])).rejects.toThrow(
      /permission denied|append-only/,
    );
  });

  it('an export selects an organization’s events, its users’ and its assignments’, and streams the whole range', async () => {
    const isp = await rows.organization();
    const other = await rows.organization();
    const department = await rows.organization('department');
    const user = await rows.user(isp.id, ['isp_operator']);
    const request = await rows.request(department, actor.id);
    const assignment = await rows.assignment(request.id, isp.id);
    const otherAssignment = await rows.assignment(request.id, other.id);
    const record = (objectType: string, objectId: string) =>
      ds.transaction((m) =>
        audit.record(m, {
          actor: 'system',
          action: `${objectType}.update`,
          objectType,
          objectId,
          context: null,
        }),
      );
    await record('organization', isp.id);
    await record('user', user.id);
    await record('assignment', otherAssignment.id);
    await record('assignment', assignment.id);
    await record('organization', other.id);
    await sealer.flush();
    const exporter = new AuditExportRepository(ds);
    const { seq: size } = await chain.head();

    const streamed = await rolledBack(ds, async (m) => {
      await m.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      const first = await exporter.firstSelected(m, { organizationId: isp.id }, size);
      const got: ChainRow[] = [];
      await exporter.streamChain(m, { organizationId: isp.id }, first!, size, async (batch) => {
        got.push(...batch);
      });
      return { first, got, previous: await exporter.previous(m, first!) };
    });
    const selected = streamed.got.filter((r) => r.fields !== undefined);
    expect(selected.map((r) => [r.fields!.objectType, r.fields!.objectId])).toEqual([
      ['organization', isp.id],
      ['user', user.id],
      ['assignment', assignment.id],
    ]);
    expect(streamed.got[0].seq).toBe(streamed.first);
    // Every event of the range is there (unselected ones as digest and hash only): a dense chain.
    expect(streamed.got.map((r) => r.seq)).toEqual(
      Array.from({ length: size - streamed.first! + 1 }, (_, i) => streamed.first! + i),
    );
    expect(streamed.previous?.seq).toBe(streamed.first! - 1);
    const firstRow = streamed.got[0];
    expect(
      chainHash(
        Buffer.from(streamed.previous!.hash, 'hex'),
        Buffer.from(firstRow.digest, 'hex'),
      ).toString('hex'),
    ).toBe(firstRow.hash);
  });
});
