import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { text } from 'node:stream/consumers';
import { to as copyTo } from 'pg-copy-streams';
import type { DataSource } from 'typeorm';
import { lockFeedVersion, readFeedVersion } from '#src/feeds/change-log/feed-version.js';
import { FeedWriter } from '#src/feeds/change-log/feed-writer.js';
import { FeedRepository } from '#src/feeds/pulls/feed.repository.js';
import { snapshotCopySql } from '#src/feeds/snapshots/snapshot-sql.js';
import { dedicatedClient } from '#src/platform/database/data-source.js';
import { repositoryDataSource, Rows, unique } from '#test/support/repository-db.js';

/**
 * The feed's change log (FeedWriter, the only writer of feed_changes, feed_active and
 * feed_claims), read back through FeedRepository and the snapshot SQL. Publications commit:
 * each test uses ISPs of its own, and versions are compared relative to what it was given.
 */
describe('feed change log (FeedWriter, FeedRepository, snapshot SQL)', () => {
  let ds: DataSource;
  let rows: Rows;
  const writer = new FeedWriter();
  let feed: FeedRepository;
  let department: { id: string };
  let creator: { id: string };

  beforeAll(async () => {
    ds = await repositoryDataSource();
    rows = new Rows(ds);
    feed = new FeedRepository(ds);
    department = await rows.organization('department');
    creator = await rows.user(department.id);
  });
  afterAll(async () => {
    await ds.destroy();
  });

  const publish = (requestId: string, isps: string[]) =>
    ds.transaction((m) => writer.publish(m, requestId, isps));

  async function activeValues(ispId: string): Promise<string[]> {
    const found = await ds.query<{ value: string }[]>(
      `SELECT i.value FROM feed_active a JOIN indicators i ON i.id = a.indicator_id
        WHERE a.organization_id = $1 ORDER BY i.value`,
      [ispId],
    );
    return found.map((r) => r.value);
  }

  it('publishes network indicators only, as one dense range of versions, readable per ISP', async () => {
    const [ispA, ispB] = [await rows.organization(), await rows.organization()];
    const domain = await rows.indicator();
    const ip = await rows.indicator({ type: 'ipv4', value: `10.${[...randomBytes(3)].join('.')}` });
    const hash = await rows.indicator({ type: 'sha256', value: randomBytes(32).toString('hex') });
    const revoked = await rows.indicator({ status: 'revoked' });
    const request = await rows.request(department, creator.id, {
      items: [domain, ip, hash, revoked].map((i) => ({ indicatorId: i.id })),
    });

    const result = await publish(request.id, [ispA.id, ispB.id]);

    expect(result).toMatchObject({ added: 4, removed: 0 });
    // One version per change, shared by the ISPs it reaches (decision 0021): the two ISPs'
    // four adds are two versions.
    expect(result.toVersion - result.fromVersion).toBe(2);
    expect(await feed.watermark()).toBeGreaterThanOrEqual(result.toVersion);
    const changes = await feed.changes(ispA.id, result.fromVersion, result.toVersion, 100);
    expect(changes.map((c) => c.value).sort()).toEqual([domain.value, ip.value].sort());
    expect(changes.every((c) => c.op === 'add' && c.reason === 'block')).toBe(true);
    expect(changes.every((c) => c.document_number === request.documentNumber)).toBe(true);
    const versions = changes.map((c) => Number(c.version));
    expect(versions).toEqual([...versions].sort((x, y) => x - y));
    expect(versions.every((v) => v > result.fromVersion && v <= result.toVersion)).toBe(true);
    // `limit` + 1 rows tell the caller there are more.
    expect(await feed.changes(ispA.id, result.fromVersion, result.toVersion, 1)).toHaveLength(2);
    expect(await activeValues(ispB.id)).toEqual([domain.value, ip.value].sort());
    // Each ISP is told the last version written to its own feed.
    const reached = new Map(result.publishedTo.map((p) => [p.organizationId, p.version]));
    expect(reached.get(ispA.id)).toBe(Math.max(...versions));
    expect([...reached.keys()].sort()).toEqual([ispA.id, ispB.id].sort());
  });

  it('publishing again changes nothing: the range is empty and the version unchanged', async () => {
    const isp = await rows.organization();
    const indicator = await rows.indicator();
    const request = await rows.request(department, creator.id, {
      items: [{ indicatorId: indicator.id }],
    });
    await publish(request.id, [isp.id]);
    const again = await publish(request.id, [isp.id]);
    expect(again).toMatchObject({ added: 0, removed: 0 });
    expect(again.toVersion).toBe(again.fromVersion);
  });

  it('an indicator held by two requests stays until the last claim ends; its removal revokes the activation', async () => {
    const isp = await rows.organization();
    const indicator = await rows.indicator();
    const first = await rows.request(department, creator.id, {
      items: [{ indicatorId: indicator.id }],
    });
    const second = await rows.request(department, creator.id, {
      items: [{ indicatorId: indicator.id }],
    });
    const added = await publish(first.id, [isp.id]);
    expect((await publish(second.id, [isp.id])).added).toBe(0);

    const firstGone = await ds.transaction((m) => writer.withdraw(m, first.id));
    expect(firstGone).toMatchObject({ added: 0, removed: 0 });
    expect(await activeValues(isp.id)).toEqual([indicator.value]);

    const secondGone = await ds.transaction((m) => writer.withdraw(m, second.id));
    expect(secondGone).toMatchObject({ added: 0, removed: 1 });
    expect(await activeValues(isp.id)).toEqual([]);
    const log = await ds.query<
      { op: string; reason: string; stix_id: string; request_id: string | null }[]
    >(
      `SELECT op, reason, stix_id, request_id FROM feed_changes
        WHERE organization_id = $1 ORDER BY version`,
      [isp.id],
    );
    expect(log.map((c) => [c.op, c.reason])).toEqual([
      ['add', 'block'],
      ['remove', 'withdrawal'],
    ]);
    // The first activation's STIX object is the indicator's own; its removal revokes that object.
    expect(log[0].stix_id).toBe(indicator.id);
    expect(log[1].stix_id).toBe(log[0].stix_id);
    expect(added.toVersion).toBeLessThan(secondGone.toVersion);

    // Back in the feed: a new STIX object, not the revoked one.
    const third = await rows.request(department, creator.id, {
      items: [{ indicatorId: indicator.id }],
    });
    await publish(third.id, [isp.id]);
    const [again] = await ds.query<{ stix_id: string }[]>(
      `SELECT stix_id FROM feed_active WHERE organization_id = $1`,
      [isp.id],
    );
    expect(again.stix_id).not.toBe(indicator.id);
  });

  it('an unblock item ends every claim on the indicator for the addressed ISPs only', async () => {
    const [ispA, ispB] = [await rows.organization(), await rows.organization()];
    const indicator = await rows.indicator();
    const block = await rows.request(department, creator.id, {
      items: [{ indicatorId: indicator.id }],
    });
    await publish(block.id, [ispA.id, ispB.id]);
    const unblock = await rows.request(department, creator.id, {
      items: [{ indicatorId: indicator.id, operation: 'unblock' }],
    });
    const result = await publish(unblock.id, [ispA.id]);
    expect(result).toMatchObject({ added: 0, removed: 1 });
    expect(await activeValues(ispA.id)).toEqual([]);
    expect(await activeValues(ispB.id)).toEqual([indicator.value]);
    const [claims] = await ds.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM feed_claims WHERE indicator_id = $1`,
      [indicator.id],
    );
    expect(claims.n).toBe(1);
  });

  it('retiring indicators removes them from every ISP with the reason given', async () => {
    const [ispA, ispB] = [await rows.organization(), await rows.organization()];
    const indicator = await rows.indicator();
    const request = await rows.request(department, creator.id, {
      items: [{ indicatorId: indicator.id }],
    });
    await publish(request.id, [ispA.id, ispB.id]);
    const result = await ds.transaction((m) => writer.retire(m, [indicator.id], 'revocation'));
    expect(result).toMatchObject({ added: 0, removed: 2 });
    const reasons = await ds.query<{ reason: string }[]>(
      `SELECT reason FROM feed_changes WHERE indicator_id = $1 AND op = 'remove'`,
      [indicator.id],
    );
    expect(reasons.map((r) => r.reason)).toEqual(['revocation', 'revocation']);
    expect(await activeValues(ispA.id)).toEqual([]);
  });

  it('refuses to write outside a transaction', async () => {
    await expect(writer.lock(ds.manager)).rejects.toThrow(/inside a transaction/);
  });

  it('serializes concurrent writers: the second waits for the lock and takes the next versions', async () => {
    const isp = await rows.organization();
    const [x, y] = [await rows.indicator(), await rows.indicator()];
    const rx = await rows.request(department, creator.id, { items: [{ indicatorId: x.id }] });
    const ry = await rows.request(department, creator.id, { items: [{ indicatorId: y.id }] });
    let releaseFirst!: () => void;
    const held = new Promise<void>((resolve) => (releaseFirst = resolve));
    let firstLocked!: () => void;
    const locked = new Promise<void>((resolve) => (firstLocked = resolve));
    const first = ds.transaction(async (m) => {
      const r = await writer.publish(m, rx.id, [isp.id]);
      firstLocked();
      await held; // holds the version lock until released
      return r;
    });
    await locked;
    let secondDone = false;
    const second = publish(ry.id, [isp.id]).then((r) => {
      secondDone = true;
      return r;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(secondDone).toBe(false);
    releaseFirst();
    const [a, b] = await Promise.all([first, second]);
    expect(b.fromVersion).toBeGreaterThanOrEqual(a.toVersion);
    expect(a.toVersion - a.fromVersion).toBe(1);
    expect(b.toVersion - b.fromVersion).toBe(1);
  });

  it('the committed version is read anywhere; its lock holds writers back until commit', async () => {
    const isp = await rows.organization();
    const indicator = await rows.indicator();
    const request = await rows.request(department, creator.id, {
      items: [{ indicatorId: indicator.id }],
    });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let lockTaken!: (version: number) => void;
    const taken = new Promise<number>((resolve) => (lockTaken = resolve));
    const holder = ds.transaction(async (m) => {
      await lockFeedVersion(m);
      await lockFeedVersion(m); // idempotent
      lockTaken(await readFeedVersion(m));
      await held;
    });
    const before = await taken;
    let published = false;
    const writing = publish(request.id, [isp.id]).then((r) => {
      published = true;
      return r;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(published).toBe(false);
    expect(await readFeedVersion(ds)).toBe(before);
    release();
    await holder;
    const result = await writing;
    expect(result.fromVersion).toBeGreaterThanOrEqual(before);
    expect(await readFeedVersion(ds.manager)).toBeGreaterThanOrEqual(result.toVersion);
  });

  it('the status counts the changes above the version an ISP was last given', async () => {
    const isp = await rows.organization();
    const [x, y] = [await rows.indicator(), await rows.indicator()];
    const request = await rows.request(department, creator.id, {
      items: [{ indicatorId: x.id }, { indicatorId: y.id }],
    });
    const published = await publish(request.id, [isp.id]);
    const before = (await feed.status({})).find((s) => s.organization_id === isp.id);
    expect(before).toMatchObject({ held_version: null, pending_changes: 2 });
    await ds.query(
      `INSERT INTO feed_pulls (organization_id, actor_type, actor_id, format, from_version, to_version, status)
       VALUES ($1, 'user', $2, 'json', NULL, $3, 200)`,
      [isp.id, creator.id, published.fromVersion + 1],
    );
    const after = (await feed.status({})).find((s) => s.organization_id === isp.id);
    expect(after).toMatchObject({ last_format: 'json', pending_changes: 1 });
    // An ISP's scope: its own row only.
    const own = await feed.status({ organizationId: isp.id });
    expect(own.map((s) => s.organization_id)).toEqual([isp.id]);
    expect(own[0]).toMatchObject({ last_format: 'json', pending_changes: 1 });
  });

  describe('snapshot SQL', () => {
    async function copyOut(sql: string): Promise<string[]> {
      const client = dedicatedClient(ds, 'repository-test');
      await client.connect();
      try {
        const out = await text(client.query(copyTo(sql)));
        return out.split('\n').filter((line) => line !== '');
      } finally {
        await client.end();
      }
    }

    it('txt streams an ISP’s active set in byte order, of the types asked for', async () => {
      const isp = await rows.organization();
      const suffix = `${unique()}.repo.test`;
      const values = [`b.${suffix}`, `A.${suffix}`, `a.${suffix}`];
      const indicators = [];
      for (const value of values) indicators.push(await rows.indicator({ value }));
      const ip = await rows.indicator({
        type: 'ipv6',
        value: `fd00::${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}`,
      });
      const request = await rows.request(department, creator.id, {
        items: [...indicators, ip].map((i) => ({ indicatorId: i.id })),
      });
      await publish(request.id, [isp.id]);
      expect(await copyOut(snapshotCopySql('txt', isp.id, ['domain']))).toEqual([
        `A.${suffix}`,
        `a.${suffix}`,
        `b.${suffix}`,
      ]);
      expect(await copyOut(snapshotCopySql('txt', isp.id, ['ipv6']))).toEqual([ip.value]);
    });

    it('rpz gives each entry the strictest action of the requests that keep it', async () => {
      const isp = await rows.organization();
      const indicator = await rows.indicator();
      const nodata = await rows.request(department, creator.id, {
        dnsAction: 'nodata',
        items: [{ indicatorId: indicator.id }],
      });
      const nxdomain = await rows.request(department, creator.id, {
        dnsAction: 'nxdomain',
        items: [{ indicatorId: indicator.id }],
      });
      await publish(nodata.id, [isp.id]);
      expect(await copyOut(snapshotCopySql('rpz', isp.id, ['domain']))).toEqual([
        `domain\t${indicator.value}\t1`,
      ]);
      await publish(nxdomain.id, [isp.id]);
      expect(await copyOut(snapshotCopySql('rpz', isp.id, ['domain']))).toEqual([
        `domain\t${indicator.value}\t0`,
      ]);
    });
  });
});
