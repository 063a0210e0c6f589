import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import type { Principal } from '#src/identity/index.js';
import { FeedPullRecorder } from '#src/feeds/pulls/feed-pull.recorder.js';
import { Factories } from '#test/support/factories.js';
import {
  departmentStaff,
  loginClientIp,
  RequestFlow,
  unprotected,
} from '#test/support/requests.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

/**
 * Issue 16's reproductions: one ISP's request must not break the service for anyone.
 */
describe('hostile input from an ISP', () => {
  let t: TestApp;
  let make: Factories;
  let flow: RequestFlow;

  beforeAll(async () => {
    t = await createTestApp();
    make = new Factories(t.app);
    flow = new RequestFlow(t.app, await departmentStaff(t.app));
  });
  afterAll(async () => {
    await t.close();
  });

  /** An ISP's API client as the pull recorder is given it. */
  const ispClient = (id: string, organizationId: string): Principal => ({
    id,
    organizationId,
    kind: 'client',
    organizationKind: 'isp',
    roles: ['isp_client'],
    tokenId: 'test',
  });

  async function isp() {
    const org = await make.organization('isp');
    const client = await make.apiClient(org);
    await flow.publish([org.id], [unprotected.domain()]);
    return { org, client, token: await make.clientToken(client.clientId, client.secret) };
  }

  it.each(['1e300', '999999999999999', '9007199254740993', '-1', '1.5', '0x10', ' 1'])(
    'after=%s with If-None-Match: * is refused, and pulls keep being recorded',
    async (after) => {
      const { token } = await isp();
      const res = await request(t.server)
        .get(`/api/v1/feed/changes?after=${encodeURIComponent(after)}`)
        .set('authorization', `Bearer ${token}`)
        .set('if-none-match', '*');
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      const recorder = t.app.get(FeedPullRecorder);
      await recorder.flush();
      expect(recorder.stats.pending).toBe(0);
    },
  );

  it('a version beyond the feed is refused on the early 304 path too (token already verified)', async () => {
    const { token } = await isp();
    const poll = (after: string, etag?: string) => {
      const call = request(t.server)
        .get(`/api/v1/feed/changes?after=${after}`)
        .set('authorization', `Bearer ${token}`);
      return etag ? call.set('if-none-match', etag) : call;
    };
    await poll('0').expect(200); // the token is now verified and cached
    await poll('0', '*').expect(304);
    const refused = await poll('999999999999999', '*').expect(400);
    expect(refused.body.detail).toMatch(/beyond the current feed version/);
  });

  it('no pull claims a version above the committed one, from any path (TAXII next too)', async () => {
    const { org, token } = await isp();
    const taxii = (next: string) =>
      request(t.server)
        .get(`/taxii2/feeds/collections/${org.id}/objects/?next=${next}`)
        .set('authorization', `Bearer ${token}`)
        .set('accept', 'application/taxii+json;version=2.1');
    await taxii('999999999999999999').expect(400);
    await taxii('1e300').expect(400);
    await taxii('999999999999999').expect(200);
    const recorder = t.app.get(FeedPullRecorder);
    // A pull recorded with a version the feed never reached is written at the committed one.
    const caller = ispClient(randomUUID(), org.id);
    recorder.record({
      principal: caller,
      format: 'changes',
      fromVersion: 5e14,
      toVersion: 5e14,
      status: 200,
      bytes: 1,
    });
    await recorder.flush();
    const [{ held, last }] = await t.app.get(DataSource).query<{ held: string; last: string }[]>(
      `SELECT max(to_version) AS held, (SELECT last FROM feed_version) AS last
           FROM feed_pulls WHERE organization_id = $1`,
      [org.id],
    );
    expect(Number(held)).toBeLessThanOrEqual(Number(last));
    const status = await request(t.server)
      .get('/api/v1/feed/status')
      .set('authorization', `Bearer ${(await departmentStaff(t.app)).analyst}`)
      .expect(200);
    const mine = (status.body.isps as { organizationId: string; heldVersion: number }[]).find(
      (i) => i.organizationId === org.id,
    );
    expect(mine!.heldVersion).toBeLessThanOrEqual(status.body.currentVersion as number);
  });

  it('a pull PostgreSQL refuses is dropped alone: the pulls beside it are written', async () => {
    const { org, client } = await isp();
    const recorder = t.app.get(FeedPullRecorder);
    await recorder.flush();
    const before = recorder.stats.rejected;
    const good = ispClient(client.id, org.id);
    const ghost = { ...good, organizationId: randomUUID() } as Principal; // no such organization
    const pull = { format: 'changes' as const, fromVersion: 0, status: 200, bytes: 1 };
    recorder.record({ ...pull, principal: good, toVersion: 1 });
    recorder.record({ ...pull, principal: ghost, toVersion: 1 });
    recorder.record({ ...pull, principal: good, toVersion: 1, sha256: 'nul\u0000byte' });
    recorder.record({ ...pull, principal: good, toVersion: 0 });
    // Malformed numbers never reach the buffer.
    recorder.record({ ...pull, principal: good, toVersion: 1e300 });
    recorder.record({ ...pull, principal: good, toVersion: -1 });
    await recorder.flush();
    expect(recorder.stats.pending).toBe(0);
    expect(recorder.stats.rejected - before).toBe(4);
    const rows = await t.app
      .get(DataSource)
      .query<{ to_version: string }[]>(
        `SELECT to_version FROM feed_pulls WHERE organization_id = $1 AND bytes = 1 ORDER BY id`,
        [org.id],
      );
    expect(rows.map((r) => Number(r.to_version))).toEqual([1, 0]);
  });

  it('repeated types= on a snapshot is a 400 or the union, never a 500', async () => {
    const { token } = await isp();
    const res = await request(t.server)
      .get('/api/v1/feed/snapshot.txt?types=domain&types=ipv4')
      .set('authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    const only = await request(t.server)
      .get('/api/v1/feed/snapshot.txt?types=domain,ipv4')
      .set('authorization', `Bearer ${token}`)
      .expect(200);
    expect(res.text.replace(/^#.*\n/gm, '')).toBe(only.text.replace(/^#.*\n/gm, ''));
    const bad = await request(t.server)
      .get('/api/v1/feed/snapshot.txt?types=domain&types=colour')
      .set('authorization', `Bearer ${token}`)
      .expect(400);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it('text no column can store (NUL, an unpaired surrogate) is a 400 naming where it is', async () => {
    const staff = await departmentStaff(t.app);
    const post = (body: string) =>
      request(t.server)
        .post('/api/v1/blocking-requests')
        .set('authorization', `Bearer ${staff.analyst}`)
        .set('content-type', 'application/json')
        .send(body);
    for (const bad of ['"a\\u0000b"', '"a\\ud800b"', '"\\udfff"']) {
      const res = await post(`{"title": ${bad}}`).expect(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body['invalid-params']).toEqual([expect.objectContaining({ name: 'title' })]);
    }
    const inQuery = await request(t.server)
      .get('/api/v1/indicators?q=a%00b')
      .set('authorization', `Bearer ${staff.analyst}`)
      .expect(400);
    expect(inQuery.body['invalid-params']).toEqual([expect.objectContaining({ name: 'query.q' })]);
  });

  it('a skip-mode import whose rejected rows hold emoji, NUL or lone surrogates succeeds', async () => {
    const staff = await departmentStaff(t.app);
    const longEmoji = `${'a'.repeat(199)}${'😀'.repeat(10)}`; // the cut falls inside a pair
    const body = JSON.stringify([
      { value: `ok-${randomUUID().slice(0, 8)}.example.com` },
      { value: longEmoji },
      { value: 'nul\u0000inside.com' },
      { value: 'lone\ud800.com' },
      { value: `desc-${randomUUID().slice(0, 8)}.example.com`, description: 'nul\u0000here' },
      { value: `src-${randomUUID().slice(0, 8)}.example.com`, source: 'lone \udc00' },
    ]);
    const started = await request(t.server)
      .post('/api/v1/imports?mode=skip')
      .set('authorization', `Bearer ${staff.analyst}`)
      .set('content-type', 'application/json')
      .send(body);
    expect(started.status).toBe(202);
    let job = started.body as {
      id: string;
      status: string;
      report: { rejectedRows: { value: string }[] };
    };
    for (let i = 0; i < 200 && (job.status === 'receiving' || job.status === 'merging'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      job = (
        await request(t.server)
          .get(`/api/v1/imports/${job.id}`)
          .set('authorization', `Bearer ${staff.analyst}`)
          .expect(200)
      ).body as typeof job;
    }
    expect(job.status).toBe('succeeded');
    expect(job.report.rejectedRows).toHaveLength(5);
    for (const row of job.report.rejectedRows) expect(row.value.isWellFormed()).toBe(true);
    expect(job.report.rejectedRows[0].value.startsWith('a'.repeat(199))).toBe(true);
  });

  it('ignores X-Forwarded-For from a peer that is not a configured proxy (TRUST_PROXY_CIDRS)', async () => {
    const ip = await loginClientIp(t, { 'x-forwarded-for': '203.0.113.9' });
    expect(ip).toMatch(/127\.0\.0\.1|::1/);
  });
});
