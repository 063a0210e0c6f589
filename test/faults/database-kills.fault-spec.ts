import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { adminClient, killWhileBlocked, listening, waitFor } from '#test/support/faults.js';
import { Factories } from '#test/support/factories.js';
import { departmentStaff, isp, RequestFlow, unprotected } from '#test/support/requests.js';
import { testDatabaseUrl } from '#test/support/database-urls.js';
import { TcpProxy } from '#test/support/tcp-proxy.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

/** What the lead's docs/reliability.md quotes: one line per fault, on stdout. */
function report(fault: string, figures: Record<string, number | string>): void {
  process.stdout.write(`[faults] ${fault}: ${JSON.stringify(figures)}\n`);
}

/**
 * PostgreSQL backends of the application killed (pg_terminate_backend, as a failover or an
 * administrator would) in the middle of a transaction: each time a lock held by the test stops
 * the transaction after it has written, the backend is terminated, the lock released. The app
 * reaches the database through a TcpProxy only to tell its backends from other suites'.
 */
describe('PostgreSQL backends killed mid-transaction', () => {
  let proxy: TcpProxy;
  let t: TestApp;
  let admin: pg.Client;
  let ds: DataSource;
  let flow: RequestFlow;

  beforeAll(async () => {
    const through = await TcpProxy.forUrl(testDatabaseUrl());
    proxy = through.proxy;
    t = await createTestApp({ databaseUrl: through.url, env: { DB_CONNECT_TIMEOUT_MS: '1000' } });
    await listening(t);
    admin = await adminClient();
    ds = t.app.get(DataSource);
    flow = new RequestFlow(t.app, await departmentStaff(t.app));
  });
  afterAll(async () => {
    await admin.end();
    await t.close();
    await proxy.down();
  });

  it('a publication (approval) killed after its feed writes: 503, nothing half-written, the retry publishes once', async () => {
    const [a, b] = [await isp(t.app), await isp(t.app)];
    const values = Array.from({ length: 50 }, () => unprotected.domain());
    const draft = await flow.draft([a.org.id, b.org.id]);
    const id = draft.id as string;
    await flow.addValues(id, values);
    const { version } = await flow.submit(id);

    const { result, killedAt } = await killWhileBlocked({
      admin,
      // The feed writer inserts into feed_active_sets after it has advanced the version and
      // written the change log: it stops there. (The table, not the per-ISP view over it: a
      // lock on the view would also lock the audiences, which the writer reads first.)
      table: 'feed_active_sets',
      mode: 'EXCLUSIVE',
      ports: proxy.upstreamPorts,
      trigger: async () => flow.approveCall(id, version as number),
    });
    expect(result.status).toBe(503);
    expect(result.headers['content-type']).toMatch(/^application\/problem\+json/);

    // Nothing of it was kept: still pending, no change, no active entry, no assignment.
    const counts = async () =>
      (
        await ds.query<{ changes: number; active: number; assignments: number; status: string }[]>(
          `SELECT (SELECT count(*)::int FROM feed_changes WHERE request_id = $1) AS changes,
                  (SELECT count(*)::int FROM feed_active a JOIN indicators i ON i.id = a.indicator_id
                    WHERE a.organization_id = ANY($2::uuid[]) AND i.value = ANY($3::text[])) AS active,
                  (SELECT count(*)::int FROM assignments WHERE request_id = $1) AS assignments,
                  (SELECT status FROM blocking_requests WHERE id = $1) AS status`,
          [id, [a.org.id, b.org.id], values],
        )
      )[0];
    await waitFor(
      async () =>
        await ds.query('SELECT 1').then(
          () => true,
          () => false,
        ),
      'pool',
    );
    expect(await counts()).toEqual({
      changes: 0,
      active: 0,
      assignments: 0,
      status: 'pending_approval',
    });

    // The client retries (as Retry-After says) until it succeeds: the recovery time.
    let recoveredAt: number;
    let attempts = 0;
    for (;;) {
      attempts++;
      const res = await flow.approveCall(id, version as number);
      if (res.status === 200) {
        recoveredAt = Date.now();
        break;
      }
      expect(res.status).toBe(503);
      if (Date.now() - killedAt > 5000) throw new Error('not recovered within 5 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(recoveredAt - killedAt).toBeLessThan(5000);
    expect(await counts()).toEqual({
      changes: 2 * values.length,
      active: 2 * values.length,
      assignments: 2,
      status: 'published',
    });
    // The active set is exactly what the change log says, for both ISPs.
    for (const org of [a.org.id, b.org.id]) {
      const replay = await ds.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM (
           SELECT indicator_id FROM feed_changes c WHERE organization_id = $1
              AND version = (SELECT max(version) FROM feed_changes d
                              WHERE d.organization_id = c.organization_id AND d.indicator_id = c.indicator_id)
              AND op = 'add'
           EXCEPT SELECT indicator_id FROM feed_active WHERE organization_id = $1) x`,
        [org],
      );
      expect(replay[0].n).toBe(0);
    }
    report('publication killed', { recoveryMs: recoveredAt - killedAt, attempts, lost: 0 });
  });

  it('a pull flush killed: every pull recorded once, within the retry delay', async () => {
    const [a] = [await isp(t.app)];
    const pulls = 20;
    for (let i = 0; i < pulls; i++) {
      await request(t.server)
        .get('/api/v1/feed/changes')
        .query({ after: 0 })
        .set('authorization', `Bearer ${a.token}`)
        .expect(200);
    }
    const recorded = async (): Promise<number> =>
      (
        await admin.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM feed_pulls WHERE organization_id = $1',
          [a.org.id],
        )
      ).rows[0].n;
    const { killedAt } = await killWhileBlocked({
      admin,
      table: 'feed_pulls',
      mode: 'EXCLUSIVE',
      ports: proxy.upstreamPorts,
      trigger: async () => undefined, // the recorder flushes within a second by itself
    });
    expect(await recorded()).toBe(0);
    await waitFor(async () => (await recorded()) >= pulls, 'the pulls to be recorded', 15000);
    const recoveryMs = Date.now() - killedAt;
    // Once, not twice, even after further flushes.
    await t.app.get(DataSource).query('SELECT 1');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await recorded()).toBe(pulls);
    const events = await admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_pending WHERE action = 'feed.pull' AND organization_id = $1`,
      [a.org.id],
    );
    const sealed = await admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_events WHERE action = 'feed.pull' AND organization_id = $1`,
      [a.org.id],
    );
    expect(events.rows[0].n + sealed.rows[0].n).toBe(pulls);
    // The recorder retries 2 s after a failed flush (RETRY_MS): recovered within the 5 s asked.
    expect(recoveryMs).toBeLessThan(5000);
    report('pull flush killed', { recoveryMs, pulls, recordedOnce: pulls, lost: 0 });
  });

  it('an import merge killed: the job fails (not stuck in merging), nothing merged, a retry imports all', async () => {
    const make = new Factories(t.app);
    const { token } = await make.loginAs('analyst');
    const values = Array.from({ length: 200 }, () => unprotected.domain());
    const post = () =>
      request(t.server)
        .post('/api/v1/imports')
        .query({ mode: 'skip' })
        .set('authorization', `Bearer ${token}`)
        .set('content-type', 'text/plain')
        .send(values.join('\n'));
    const job = async (id: string) =>
      (
        await request(t.server)
          .get(`/api/v1/imports/${id}`)
          .set('authorization', `Bearer ${token}`)
          .expect(200)
      ).body as { status: string; error: string | null };
    const present = async (): Promise<number> =>
      (
        await admin.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM indicators WHERE value = ANY($1::text[])',
          [values],
        )
      ).rows[0].n;

    const { result, killedAt } = await killWhileBlocked({
      admin,
      table: 'indicators',
      mode: 'EXCLUSIVE',
      ports: proxy.upstreamPorts,
      trigger: async () => post(),
    });
    expect(result.status).toBe(202);
    const id = (result.body as { id: string }).id;
    let settled = { status: 'merging', error: null as string | null };
    await waitFor(async () => {
      settled = await job(id);
      return settled.status !== 'merging';
    }, 'the job to leave merging');
    const recoveryMs = Date.now() - killedAt;
    expect(settled).toMatchObject({
      status: 'failed',
      error: 'the merge failed; nothing was imported',
    });
    expect(recoveryMs).toBeLessThan(5000);
    expect(await present()).toBe(0);

    const again = await post().expect(202);
    await waitFor(
      async () => (await job((again.body as { id: string }).id)).status === 'succeeded',
      'the retry',
    );
    expect(await present()).toBe(values.length);
    report('import merge killed', { recoveryMs, lost: 0 });
  });

  it('an audit sealer round killed after its insert: no event lost or sealed twice, the chain verifies', async () => {
    const make = new Factories(t.app);
    const auditor = (await make.loginAs('auditor')).token;
    // Events to seal: each login writes one.
    for (let i = 0; i < 5; i++) await make.loginAs('analyst');
    const { killedAt } = await killWhileBlocked({
      admin,
      // The round inserts into audit_events, then deletes what it sealed from audit_pending.
      table: 'audit_pending',
      mode: 'SHARE ROW EXCLUSIVE',
      ports: proxy.upstreamPorts,
      trigger: async () => t.sealAudit().catch(() => undefined),
    });
    // The next round (the timer's, or this flush) seals everything, once.
    await waitFor(
      async () =>
        t.sealAudit().then(
          () => true,
          () => false,
        ),
      'a sealing round to succeed',
      5000,
    );
    const recoveryMs = Date.now() - killedAt;
    const verify = await request(t.server)
      .get('/api/v1/audit/verify')
      .set('authorization', `Bearer ${auditor}`)
      .expect(200);
    expect(verify.body).toMatchObject({ valid: true });
    const dupes = await admin.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM (SELECT seq FROM audit_events GROUP BY seq HAVING count(*) > 1) d',
    );
    expect(dupes.rows[0].n).toBe(0);
    expect(recoveryMs).toBeLessThan(5000);
    report('audit sealer round killed', { recoveryMs, lost: 0 });
  });
});
