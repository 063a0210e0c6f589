import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { FeedPullRecorder } from '#src/feeds/pulls/feed-pull.recorder.js';
import { FeedVersionWatcher } from '#src/feeds/change-log/feed-version.watcher.js';
import { Factories } from '#test/support/factories.js';
import { departmentStaff, isp, RequestFlow, status, unprotected } from '#test/support/requests.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

interface ChangesBody {
  after: number;
  next: number;
  more: boolean;
  currentVersion: number;
  changes: { version: number; op: 'add' | 'remove'; indicatorId: string; value: string }[];
}

describe('GET /api/v1/feed/changes', () => {
  let t: TestApp;
  let db: DataSource;
  let flow: RequestFlow;
  let ispA: Awaited<ReturnType<typeof isp>>;
  let ispB: Awaited<ReturnType<typeof isp>>;

  const pull = (token: string, after: number, limit = 1000, etag?: string) => {
    const req = request(t.server)
      .get('/api/v1/feed/changes')
      .query({ after, limit })
      .set('authorization', `Bearer ${token}`);
    return etag ? req.set('if-none-match', etag) : req;
  };
  const activeSet = async (orgId: string): Promise<string[]> =>
    (
      await db.query<{ indicator_id: string }[]>(
        `SELECT indicator_id FROM feed_active WHERE organization_id = $1 ORDER BY indicator_id`,
        [orgId],
      )
    ).map((r) => r.indicator_id);

  beforeAll(async () => {
    t = await createTestApp();
    db = t.app.get(DataSource);
    flow = new RequestFlow(t.app, await departmentStaff(t.app));
    [ispA, ispB] = [await isp(t.app), await isp(t.app)];
  });
  afterAll(async () => {
    await t.close();
  });

  it('gives an ISP its own changes in version order, with the version to ask next', async () => {
    const [x, y] = [unprotected.domain(), unprotected.ipv4()];
    const a = await flow.publish([ispA.org.id], [x, y]);
    await flow.publish([ispB.org.id], [unprotected.domain()]);
    const all = (await pull(ispA.token, 0).expect(status(200))).body as ChangesBody;
    expect(all.more).toBe(false);
    expect(all.next).toBe(all.currentVersion);
    expect(all.changes.map((c) => [c.op, c.value]).sort()).toEqual(
      [
        ['add', x],
        ['add', y],
      ].sort(),
    );
    const versions = all.changes.map((c) => c.version);
    expect(versions).toEqual([...versions].sort((p, q) => p - q));
    // Paging: limit 1 gives one change and more = true, then the rest.
    const first = (await pull(ispA.token, 0, 1).expect(200)).body as ChangesBody;
    expect(first).toMatchObject({ more: true, next: versions[0] });
    const rest = (await pull(ispA.token, first.next, 1000).expect(200)).body as ChangesBody;
    expect(rest.changes.map((c) => c.version)).toEqual(versions.slice(1));
    // Nothing newer: an empty page that keeps the version.
    const none = (await pull(ispA.token, all.next).expect(200)).body as ChangesBody;
    expect(none).toMatchObject({ changes: [], more: false, next: all.next });
    // A withdrawal shows up as removes after that version.
    await flow.withdraw(a.id as string);
    const after = (await pull(ispA.token, all.next).expect(200)).body as ChangesBody;
    expect(after.changes.map((c) => [c.op, c.value]).sort()).toEqual(
      [
        ['remove', x],
        ['remove', y],
      ].sort(),
    );
    // A version from the future is a client mistake.
    await pull(ispA.token, after.currentVersion + 1000).expect(400);
    // A number past what a feed version can be (above Number.MAX_SAFE_INTEGER) is refused by name.
    const huge = await pull(ispA.token, 1e300).expect(400);
    expect(huge.body['invalid-params']).toEqual([expect.objectContaining({ name: 'after' })]);
  });

  it('answers 304 to If-None-Match while nothing changed, and 200 once something did', async () => {
    await flow.publish([ispA.org.id], [unprotected.domain()]);
    const head = (await pull(ispA.token, 0).expect(200)).body as ChangesBody;
    const fresh = await pull(ispA.token, head.next).expect(200);
    const etag = fresh.headers.etag;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const again = await pull(ispA.token, head.next).expect(200);
    expect(again.headers.etag).toBe(etag);
    const notModified = await pull(ispA.token, head.next, 1000, etag).expect(304);
    expect(notModified.text).toBe('');
    // Another ISP's ETag for the same version differs (scoped to the ISP).
    const otherEtag = (await pull(ispB.token, head.next).expect(200)).headers.etag;
    expect(otherEtag).not.toBe(etag);

    const value = unprotected.domain();
    await flow.publish([ispA.org.id], [value]);
    // The watcher learns the new version by NOTIFY (or its 1 s poll).
    const watcher = t.app.get(FeedVersionWatcher);
    const deadline = Date.now() + 3000;
    while (watcher.current <= head.currentVersion && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const changed = await pull(ispA.token, head.next, 1000, etag).expect(200);
    expect((changed.body as ChangesBody).changes.map((c) => c.value)).toContain(value);
    expect(changed.headers.etag).not.toBe(etag);
  });

  it('records every pull, and the Department sees each ISP’s position', async () => {
    await flow.publish([ispB.org.id], [unprotected.domain()]);
    const body = (await pull(ispB.token, 0).expect(200)).body as ChangesBody;
    await t.app.get(FeedPullRecorder).flush();
    const pulls = await db.query<{ format: string; status: number; to_version: string }[]>(
      `SELECT format, status, to_version FROM feed_pulls WHERE organization_id = $1 ORDER BY id DESC LIMIT 1`,
      [ispB.org.id],
    );
    expect(pulls[0]).toMatchObject({ format: 'changes', status: 200 });
    expect(Number(pulls[0].to_version)).toBe(body.next);
    const auditor = (await new Factories(t.app).loginAs('auditor')).token;
    const res = await request(t.server)
      .get('/api/v1/feed/status')
      .set('authorization', `Bearer ${auditor}`)
      .expect(200);
    const mine = (
      res.body.isps as {
        organizationId: string;
        heldVersion: number;
        pendingChanges: number;
        lastFormat: string;
      }[]
    ).find((i) => i.organizationId === ispB.org.id);
    expect(mine).toMatchObject({
      heldVersion: body.next,
      pendingChanges: 0,
      lastFormat: 'changes',
    });
    await flow.publish([ispB.org.id], [unprotected.domain(), unprotected.domain()]);
    const later = await request(t.server)
      .get('/api/v1/feed/status')
      .set('authorization', `Bearer ${auditor}`)
      .expect(200);
    expect(
      (later.body.isps as { organizationId: string; pendingChanges: number }[]).find(
        (i) => i.organizationId === ispB.org.id,
      )!.pendingChanges,
    ).toBe(2);
  });

  it('shows an ISP (operator or API client) only its own row of the feed status', async () => {
    await flow.publish([ispA.org.id], [unprotected.domain()]);
    await flow.publish([ispB.org.id], [unprotected.domain(), unprotected.domain()]);
    const pulledA = (await pull(ispA.token, 0).expect(200)).body as ChangesBody;
    await pull(ispB.token, 0).expect(200);
    const make = new Factories(t.app);
    const client = await make.apiClient(ispA.org);
    const clientToken = await make.clientToken(client.clientId, client.secret);
    const auditor = (await make.loginAs('auditor')).token;
    const statusAs = async (token: string) =>
      (
        await request(t.server)
          .get('/api/v1/feed/status')
          .set('authorization', `Bearer ${token}`)
          .expect(status(200))
      ).body as {
        currentVersion: number;
        isps: { organizationId: string; name: string; heldVersion: number | null }[];
      };
    const all = await statusAs(auditor);
    expect(all.isps.map((i) => i.organizationId)).toEqual(
      expect.arrayContaining([ispA.org.id, ispB.org.id]),
    );
    for (const token of [ispA.token, clientToken]) {
      const own = await statusAs(token);
      expect(own.currentVersion).toBe(all.currentVersion);
      expect(own.isps).toHaveLength(1);
      expect(own.isps[0]).toMatchObject({
        organizationId: ispA.org.id,
        name: ispA.org.name,
        heldVersion: pulledA.next,
      });
      // Nothing of ISP B: neither its id nor its name anywhere in the answer.
      const text = JSON.stringify(own);
      expect(text).not.toContain(ispB.org.id);
      expect(text).not.toContain(ispB.org.name);
    }
    const ownB = await statusAs(ispB.token);
    expect(ownB.isps.map((i) => i.organizationId)).toEqual([ispB.org.id]);
  });

  it('never skips or repeats a change while publishers commit concurrently (model test)', async () => {
    const poller = await isp(t.app);
    const org = poller.org.id;
    const seen = new Map<number, ChangesBody['changes'][number]>();
    const state = new Set<string>();
    let after = 0;
    let publishing = true;
    const poll = async (): Promise<void> => {
      for (;;) {
        const body = (await pull(poller.token, after, 7).expect(200)).body as ChangesBody;
        for (const c of body.changes) {
          expect(seen.has(c.version)).toBe(false);
          expect(c.version).toBeGreaterThan(after);
          seen.set(c.version, c);
          if (c.op === 'add') state.add(c.indicatorId);
          else state.delete(c.indicatorId);
        }
        after = body.next;
        if (!publishing && !body.more) return;
        if (!body.more) await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    const publishers = Array.from({ length: 4 }, async (_, p) => {
      for (let round = 0; round < 4; round++) {
        const values = Array.from({ length: 3 }, () => unprotected.domain());
        const published = await flow.publish([org], values);
        if ((p + round) % 3 === 0) await flow.withdraw(published.id as string);
        if ((p + round) % 4 === 1) await flow.publish([org], values.slice(0, 1), 'unblock');
      }
    });
    const polling = poll();
    await Promise.all(publishers);
    publishing = false;
    await polling;
    // The accumulated state equals the active set; every change was seen exactly once.
    expect([...state].sort()).toEqual(await activeSet(org));
    const all = await db.query<{ version: string }[]>(
      `SELECT version FROM feed_changes WHERE organization_id = $1 ORDER BY version`,
      [org],
    );
    expect([...seen.keys()].sort((p, q) => p - q)).toEqual(all.map((r) => Number(r.version)));
  }, 60_000);
});
