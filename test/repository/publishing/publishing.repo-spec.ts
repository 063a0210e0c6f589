import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { BlockingRequestsRepository } from '#src/publishing/blocking-requests/blocking-requests.repository.js';
import { ImportsRepository, INTERRUPTED } from '#src/publishing/imports/imports.repository.js';
import { IndicatorsRepository } from '#src/publishing/indicators/indicators.repository.js';
import { ProtectedListsRepository } from '#src/publishing/protected-lists/protected-lists.repository.js';
import { repositoryDataSource, rolledBack, Rows, unique } from '#test/support/repository-db.js';

/** What the Department publishes: indicators, blocking requests, imports, protected lists. */
describe('publishing repositories', () => {
  let ds: DataSource;
  let rows: Rows;
  let department: { id: string };
  let creator: { id: string };

  beforeAll(async () => {
    ds = await repositoryDataSource();
    rows = new Rows(ds);
    department = await rows.organization('department');
    creator = await rows.user(department.id);
  });
  afterAll(async () => {
    await ds.destroy();
  });

  describe('IndicatorsRepository', () => {
    let repo: IndicatorsRepository;
    beforeAll(() => {
      repo = new IndicatorsRepository(ds);
    });

    it('ensure creates the missing values once and answers ids in input order', async () => {
      const existing = await rows.indicator();
      const fresh = `${unique()}.repo.test`;
      const values = [
        { type: 'domain' as const, value: fresh },
        { type: 'domain' as const, value: existing.value },
        { type: 'domain' as const, value: fresh },
      ];
      const result = await ds.transaction((m) => repo.ensure(m, values, { tlp: 'GREEN' }, null));
      expect(result.created).toBe(1);
      expect(result.ids[1]).toBe(existing.id);
      expect(result.ids[0]).toBe(result.ids[2]);
      expect((await repo.findById(result.ids[0]))?.tlp).toBe('GREEN');
    });

    it('concurrent ensures of the same values create each once', async () => {
      const values = Array.from({ length: 20 }, () => ({
        type: 'domain' as const,
        value: `${unique()}.repo.test`,
      }));
      const [a, b] = await Promise.all([
        ds.transaction((m) => repo.ensure(m, values, {}, null)),
        ds.transaction((m) => repo.ensure(m, [...values].reverse(), {}, null)),
      ]);
      expect(a.created + b.created).toBe(20);
      expect(a.ids).toEqual([...b.ids].reverse());
    });

    it('transition moves only rows in the expected status, with one history row each', async () => {
      const active = await rows.indicator();
      const revoked = await rows.indicator({ status: 'revoked' });
      const changed = await ds.transaction((m) =>
        repo.transition(m, [active.id, revoked.id], 'active', 'revoked', 'test', creator.id),
      );
      expect(changed).toEqual([active.id]);
      expect(
        await ds.transaction((m) =>
          repo.transition(m, [active.id], 'active', 'revoked', 'test', creator.id),
        ),
      ).toEqual([]);
      expect(await repo.historyOf(active.id)).toMatchObject([
        { from_status: 'active', to_status: 'revoked', reason: 'test', actor_id: creator.id },
      ]);
      expect((await repo.findById(active.id))?.version).toBe(2);
    });

    it('an expiry run skips the due indicators another run holds, and takes the oldest first', async () => {
      // Due in 1970, a time before every other test's indicators: the runs here, at 1970-01-03,
      // lock none of theirs (an expiry job of theirs that ran meanwhile could take ours, not
      // the other way round).
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) {
        ids.push((await rows.indicator({ validUntil: new Date(`1970-01-02T00:00:0${i}Z`) })).id);
      }
      const notDue = await rows.indicator({ validUntil: new Date('1970-01-04T00:00:00Z') });
      const now = new Date('1970-01-03T00:00:00Z');
      const held = ids.slice(0, 3);
      const runner = ds.createQueryRunner();
      await runner.connect();
      await runner.startTransaction();
      try {
        await runner.query(
          `SELECT id FROM indicators WHERE id = ANY($1::uuid[]) FOR NO KEY UPDATE`,
          [held],
        );
        const other = await rolledBack(ds, (m) => repo.lockDueForExpiry(m, now, 10_000_000));
        expect(other.filter((id) => ids.includes(id))).toEqual(ids.slice(3));
      } finally {
        await runner.rollbackTransaction();
        await runner.release();
      }
      const all = await rolledBack(ds, (m) => repo.lockDueForExpiry(m, now, 10_000_000));
      expect(all.filter((id) => ids.includes(id))).toEqual(ids);
      expect(all).not.toContain(notDue.id);
      // Revoked: no longer due for the expiry jobs of other tests.
      await ds.transaction((m) =>
        repo.transition(m, [...ids, notDue.id], 'active', 'revoked', 'test done', null),
      );
    });

    it('lists a page by keyset, filtered by a literal value prefix', async () => {
      const prefix = `p_${unique()}`;
      for (let i = 0; i < 3; i++) await rows.indicator({ value: `${prefix}${i}.repo.test` });
      await rows.indicator({ value: `${prefix.replace('_', 'x')}0.repo.test` }); // `_` is no wildcard
      const first = await repo.listPage({ valuePrefix: prefix }, undefined, 2);
      expect(first).toHaveLength(3);
      const rest = await repo.listPage(
        { valuePrefix: prefix },
        { createdAt: first[1].createdAt, id: first[1].id },
        2,
      );
      expect([...first.slice(0, 2), ...rest].map((i) => i.value).sort()).toEqual(
        [0, 1, 2].map((i) => `${prefix}${i}.repo.test`),
      );
    });
  });

  describe('BlockingRequestsRepository', () => {
    let repo: BlockingRequestsRepository;
    beforeAll(() => {
      repo = new BlockingRequestsRepository(ds);
    });

    it('adds items once, keeps item_count right, and pages items by indicator id', async () => {
      const request = await rows.request(department, creator.id, { status: 'draft' });
      const indicators = [];
      for (let i = 0; i < 5; i++) indicators.push(await rows.indicator());
      const ids = indicators.map((i) => i.id);
      expect(
        await ds.transaction((m) => repo.addItems(m, request.id, ids.slice(0, 3), 'block')),
      ).toBe(3);
      expect(await ds.transaction((m) => repo.addItems(m, request.id, ids, 'unblock'))).toBe(2);
      const conflicting = await ds.transaction((m) =>
        repo.withOtherOperation(m, request.id, ids, 'unblock'),
      );
      expect(conflicting.map((c) => c.indicator_id).sort()).toEqual(ids.slice(0, 3).sort());
      expect(await ds.transaction((m) => repo.removeItem(m, request.id, ids[0]))).toBe(true);
      expect(await ds.transaction((m) => repo.removeItem(m, request.id, ids[0]))).toBe(false);
      const [count] = await ds.query<{ item_count: number }[]>(
        `SELECT item_count FROM blocking_requests WHERE id = $1`,
        [request.id],
      );
      expect(count.item_count).toBe(4);

      const page1 = await repo.itemsPage(request.id, undefined, 2);
      expect(page1).toHaveLength(3);
      const page2 = await repo.itemsPage(request.id, page1[1].indicator_id, 2);
      expect([...page1.slice(0, 2), ...page2].map((i) => i.indicator_id)).toEqual(
        ids.slice(1).sort(),
      );
    });

    it('the schema refuses an approval by the request’s creator and a duplicate document number', async () => {
      const request = await rows.request(department, creator.id, { status: 'draft' });
      await expect(
        ds.query(`UPDATE blocking_requests SET approved_by = created_by WHERE id = $1`, [
          request.id,
        ]),
      ).rejects.toThrow(/blocking_requests_two_person_check/);
      await expect(
        ds.query(`UPDATE blocking_requests SET document_number = $2 WHERE id <> $1 AND id = $3`, [
          request.id,
          request.documentNumber,
          (await rows.request(department, creator.id)).id,
        ]),
      ).rejects.toThrow(/blocking_requests_document_number_key/);
    });
  });

  describe('ImportsRepository', () => {
    let repo: ImportsRepository;
    beforeAll(() => {
      repo = new ImportsRepository(ds);
    });

    it('fails a running job only when no connection holds its advisory lock', async () => {
      const job = await repo.create({
        id: randomUUID(),
        organizationId: department.id,
        createdBy: creator.id,
        format: 'text',
        mode: 'skip',
        bytesExpected: null,
        defaults: {},
      });
      // The import's own connection holds the job's lock while it runs.
      const runner = ds.createQueryRunner();
      await runner.connect();
      try {
        await runner.query(`SELECT pg_advisory_lock(hashtextextended($1::text, 0))`, [job.id]);
        expect(await ds.transaction((m) => repo.failIfOrphan(m, job.id))).toBeUndefined();
        expect((await repo.findById(job.id))?.status).toBe('receiving');
        await runner.query(`SELECT pg_advisory_unlock(hashtextextended($1::text, 0))`, [job.id]);
      } finally {
        await runner.release();
      }
      expect(await ds.transaction((m) => repo.failIfOrphan(m, job.id))).toBe('receiving');
      expect(await repo.findById(job.id)).toMatchObject({ status: 'failed', error: INTERRUPTED });
      expect(await ds.transaction((m) => repo.failIfOrphan(m, job.id))).toBeUndefined();
    });

    it('the final report stores the counters and the rejected rows', async () => {
      const job = await repo.create({
        id: randomUUID(),
        organizationId: department.id,
        createdBy: null,
        format: 'csv',
        mode: 'reject',
        bytesExpected: '10',
        defaults: {},
      });
      const counters = {
        rowsRead: 3,
        bytesRead: 10,
        rejected: 1,
        rejectedRows: [{ line: 2, value: 'x', reason: 'bad' }],
      };
      await repo.finish(job.id, counters, { status: 'succeeded', created: 1, existing: 1 });
      const found = await repo.findById(job.id);
      expect(found).toMatchObject({
        status: 'succeeded',
        rowsRead: 3,
        rowsCreated: 1,
        rowsExisting: 1,
        rowsRejected: 1,
        rejected: counters.rejectedRows,
      });
      expect(found?.finishedAt).toBeInstanceOf(Date);
    });
  });

  describe('ProtectedListsRepository', () => {
    let repo: ProtectedListsRepository;
    beforeAll(() => {
      repo = new ProtectedListsRepository(ds);
    });

    it('entries are added once and replaced set-wise; every change moves the fingerprint', async () => {
      const before = await repo.fingerprint();
      const list = await ds.transaction((m) =>
        repo.insertList(m, { name: `list-${unique()}`, description: null, origin: 'manual' }),
      );
      const created = await repo.fingerprint();
      expect(created).not.toBe(before);
      const entries = [
        { kind: 'hostname' as const, value: 'a.example' },
        { kind: 'hostname' as const, value: 'b.example' },
        { kind: 'cidr' as const, value: '192.0.2.0/24' },
      ];
      expect(await ds.transaction((m) => repo.addEntries(m, list.id, entries))).toBe(3);
      expect(await ds.transaction((m) => repo.addEntries(m, list.id, entries))).toBe(0);
      expect(
        await ds.transaction((m) => repo.deleteEntries(m, list.id, [entries[0], entries[2]])),
      ).toBe(1);
      expect((await repo.entryCounts([list.id])).get(list.id)).toBe(2);

      expect(
        await ds.transaction((m) => repo.touch(m, list.id, { enabled: false }, list.version)),
      ).toBe(true);
      expect(await repo.fingerprint()).not.toBe(created);
      // Stale version: nothing changes.
      expect(
        await ds.transaction((m) => repo.touch(m, list.id, { enabled: true }, list.version)),
      ).toBe(false);
      expect((await repo.allEnabledEntries()).filter((e) => e.listId === list.id)).toEqual([]);
      await expect(
        ds.transaction((m) =>
          repo.insertList(m, { name: list.name, description: null, origin: 'manual' }),
        ),
      ).rejects.toThrow(/protected_lists_name_key/);
    });
  });
});
