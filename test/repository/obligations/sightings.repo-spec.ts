import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { FeedWriter } from '#src/feeds/change-log/feed-writer.js';
import {
  SightingsRepository,
  type NewSighting,
} from '#src/obligations/sightings/sightings.repository.js';
import { repositoryDataSource, Rows } from '#test/support/repository-db.js';

/** Sightings: only of what the ISP's feed carried, filtered by network, summarized. */
describe('SightingsRepository', () => {
  let ds: DataSource;
  let rows: Rows;
  let repo: SightingsRepository;
  let department: { id: string };
  let creator: { id: string };

  beforeAll(async () => {
    ds = await repositoryDataSource();
    rows = new Rows(ds);
    repo = new SightingsRepository(ds);
    department = await rows.organization('department');
    creator = await rows.user(department.id);
  });
  afterAll(async () => {
    await ds.destroy();
  });

  const sighting = (indicatorId: string, over: Partial<NewSighting> = {}): NewSighting => ({
    id: randomUUID(),
    indicatorId,
    count: 1,
    firstSeen: new Date('1987-01-01T00:00:00Z'),
    lastSeen: new Date('1987-01-02T00:00:00Z'),
    network: '198.51.100.0/24',
    customer: null,
    note: null,
    ...over,
  });
  const insert = (isp: string, list: NewSighting[]) =>
    ds.transaction((m) => repo.insert(m, isp, { type: 'user', id: creator.id }, list));

  it('an ISP may report only what its feed has carried, by id or by value', async () => {
    const [isp, other] = [await rows.organization(), await rows.organization()];
    const carried = await rows.indicator();
    const never = await rows.indicator();
    const request = await rows.request(department, creator.id, {
      items: [{ indicatorId: carried.id }],
    });
    await ds.transaction((m) => new FeedWriter().publish(m, request.id, [isp.id]));
    // Withdrawn since: it was carried, so it may still be reported.
    await ds.transaction((m) => new FeedWriter().withdraw(m, request.id));

    const byId = await ds.transaction((m) =>
      repo.carriedByFeed(m, isp.id, [carried.id, never.id], []),
    );
    expect(byId.map((i) => i.id)).toEqual([carried.id]);
    const byValue = await ds.transaction((m) =>
      repo.carriedByFeed(
        m,
        isp.id,
        [],
        [
          { type: 'domain', value: carried.value },
          { type: 'domain', value: never.value },
        ],
      ),
    );
    expect(byValue.map((i) => i.id)).toEqual([carried.id]);
    expect(await ds.transaction((m) => repo.carriedByFeed(m, other.id, [carried.id], []))).toEqual(
      [],
    );
  });

  it('the schema refuses a sighting without a network or customer, or seen backwards', async () => {
    const isp = await rows.organization();
    const indicator = await rows.indicator();
    await expect(
      insert(isp.id, [sighting(indicator.id, { network: null, customer: null })]),
    ).rejects.toThrow(/sightings_source_check/);
    await expect(
      insert(isp.id, [
        sighting(indicator.id, {
          firstSeen: new Date('1987-01-02Z'),
          lastSeen: new Date('1987-01-01Z'),
        }),
      ]),
    ).rejects.toThrow(/sightings_seen_check/);
  });

  it('filters by containing network within the scope, pages by keyset, and sums per source', async () => {
    const [isp, other] = [await rows.organization(), await rows.organization()];
    const [x, y] = [await rows.indicator(), await rows.indicator()];
    await insert(isp.id, [
      sighting(x.id, { network: '198.51.100.0/25', count: 5 }),
      sighting(y.id, { network: '198.51.100.128/25', count: 2 }),
      sighting(x.id, { network: '198.51.100.0/25', count: 1 }),
      sighting(x.id, { network: '100.64.0.0/24', count: 100 }),
    ]);
    await insert(other.id, [sighting(x.id, { network: '198.51.100.0/25', count: 7 })]);

    const scope = { organizationId: isp.id };
    const within = { scope, indicatorId: undefined, network: '198.51.100.0/24' };
    const first = await repo.list(within, undefined, 2);
    expect(first).toHaveLength(3);
    const rest = await repo.list(within, first[1], 2);
    expect(rest).toHaveLength(1);
    expect([...first.slice(0, 2), ...rest].every((s) => s.organizationId === isp.id)).toBe(true);
    expect(new Set([...first.slice(0, 2), ...rest].map((s) => s.id)).size).toBe(3);

    const summary = await repo.summary({ scope }, 10);
    expect(summary.map((g) => [g.network, g.totalCount, g.sightings])).toEqual([
      ['100.64.0.0/24', 100, 1],
      ['198.51.100.0/25', 6, 2],
      ['198.51.100.128/25', 2, 1],
    ]);
    expect(summary[1].indicators.map((i) => i.id)).toEqual([x.id]);
  });
});
