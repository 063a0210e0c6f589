import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { FeedWriter } from '#src/feeds/change-log/feed-writer.js';
import type { TaxiiFilter } from '#src/feeds/taxii/taxii-filter.js';
import { TaxiiRepository } from '#src/feeds/taxii/taxii.repository.js';
import { repositoryDataSource, Rows } from '#test/support/repository-db.js';

/** TAXII reads of an ISP's change log: paging by version, object versions, added_after. */
describe('TaxiiRepository', () => {
  let ds: DataSource;
  let rows: Rows;
  let repo: TaxiiRepository;
  const writer = new FeedWriter();
  const identityId = randomUUID();
  let department: { id: string };
  let creator: { id: string };

  beforeAll(async () => {
    ds = await repositoryDataSource();
    rows = new Rows(ds);
    repo = new TaxiiRepository(ds);
    department = await rows.organization('department');
    creator = await rows.user(department.id);
  });
  afterAll(async () => {
    await ds.destroy();
  });

  const filter = (over: Partial<TaxiiFilter> = {}): TaxiiFilter => ({
    limit: 100,
    versions: { all: true, first: false, last: false, at: [] },
    specVersionMatches: true,
    ...over,
  });

  /** An ISP whose collection holds: x added, y added, x revoked (withdrawn). */
  async function collection() {
    const isp = await rows.organization();
    const [x, y] = [await rows.indicator(), await rows.indicator()];
    const rx = await rows.request(department, creator.id, { items: [{ indicatorId: x.id }] });
    const ry = await rows.request(department, creator.id, { items: [{ indicatorId: y.id }] });
    await ds.transaction((m) => writer.publish(m, rx.id, [isp.id]));
    await ds.transaction((m) => writer.publish(m, ry.id, [isp.id]));
    await ds.transaction((m) => writer.withdraw(m, rx.id));
    return { isp, x, y };
  }

  it('pages by version, each change a version of its indicator object', async () => {
    const { isp, x, y } = await collection();
    const all = await repo.entries(isp.id, filter(), 100, { identityId, withObjects: true });
    expect(all.map((e) => e.id)).toEqual([
      `indicator--${x.id}`,
      `indicator--${y.id}`,
      `indicator--${x.id}`,
    ]);
    const seqs = all.map((e) => Number(e.seq));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    // Times increase strictly with versions (decision 0007).
    expect(new Set(all.map((e) => e.date_added)).size).toBe(3);
    expect([...all.map((e) => e.date_added)].sort()).toEqual(all.map((e) => e.date_added));
    const revoked = JSON.parse(all[2].object!) as { revoked?: boolean; id: string };
    expect(revoked).toMatchObject({ id: `indicator--${x.id}`, revoked: true });

    const page = await repo.entries(isp.id, filter({ cursor: seqs[0] }), 1, {
      identityId,
      withObjects: false,
    });
    expect(page).toEqual([expect.objectContaining({ seq: all[1].seq })]);
    expect(page[0].object).toBeUndefined();
  });

  it('first and last versions, and added_after as a version bound', async () => {
    const { isp, x } = await collection();
    const all = await repo.entries(isp.id, filter(), 100, { identityId, withObjects: false });
    const pick = async (versions: Partial<TaxiiFilter['versions']>, more = {}) =>
      (
        await repo.entries(
          isp.id,
          filter({
            versions: { all: false, first: false, last: false, at: [], ...versions },
            ...more,
          }),
          100,
          { identityId, withObjects: false },
        )
      ).map((e) => e.seq);
    expect(await pick({ first: true })).toEqual([all[0].seq, all[1].seq]);
    expect(await pick({ last: true })).toEqual([all[1].seq, all[2].seq]);
    expect(await pick({ at: [all[1].date_added] })).toEqual([all[1].seq]);
    expect(
      (
        await repo.entries(isp.id, filter({ addedAfter: all[0].date_added }), 100, {
          identityId,
          withObjects: false,
        })
      ).map((e) => e.seq),
    ).toEqual([all[1].seq, all[2].seq]);
    expect(await repo.exists(isp.id, x.id)).toBe(true);
    expect(await repo.exists(isp.id, randomUUID())).toBe(false);
    expect(await repo.collection(isp.id)).toMatchObject({ id: isp.id });
    expect(await repo.collection(department.id)).toBeUndefined();
  });
});
