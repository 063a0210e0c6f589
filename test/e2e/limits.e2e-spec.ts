import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { DataSource, type QueryRunner } from 'typeorm';
import { departmentStaff, isp, RequestFlow, status, unprotected } from '#test/support/requests.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

/**
 * Per-organization caps (docs/operations.md#limits): reached, refused with a 429 that names the
 * limit and when to retry, counted in /metrics, without touching other organizations, and
 * free again once the slot is given back.
 */

type Json = Record<string, unknown>;

/** The value of `limit_refusals_total{limit="<name>"}` in /metrics (0 when absent). */
async function refusals(t: TestApp, name: string): Promise<number> {
  const res = await request(t.server).get('/metrics').expect(200);
  const line = res.text
    .split('\n')
    .find((l) => l.startsWith(`limit_refusals_total{limit="${name}"} `));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

/** The shape every limit's 429 has. */
function expectRefusal(
  res: { status: number; headers: Record<string, string>; body: Json },
  limit: string,
  value: number,
  retryAfter: number,
): void {
  expect(res.status).toBe(429);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.headers['retry-after']).toBe(String(retryAfter));
  expect(res.body).toMatchObject({
    type: 'urn:threat-exchange:problem:rate-limited',
    status: 429,
    limit,
    limitValue: value,
    retryAfter,
  });
}

describe('snapshot slots: per organization and per instance', () => {
  let t: TestApp;
  let port: number;
  let ispA: Awaited<ReturnType<typeof isp>>;
  let ispB: Awaited<ReturnType<typeof isp>>;
  let ispC: Awaited<ReturnType<typeof isp>>;
  let blocker: QueryRunner;

  beforeAll(async () => {
    t = await createTestApp({
      env: { SNAPSHOT_MAX_PER_ORGANIZATION: '2', SNAPSHOT_MAX_CONCURRENT: '3' },
    });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.getHttpServer().address() as AddressInfo).port;
    [ispA, ispB, ispC] = [await isp(t.app), await isp(t.app), await isp(t.app)];
    const flow = new RequestFlow(t.app, await departmentStaff(t.app));
    await flow.publish([ispA.org.id, ispB.org.id, ispC.org.id], [unprotected.domain()]);
  });
  afterAll(async () => {
    if (blocker?.isTransactionActive) await blocker.rollbackTransaction();
    await blocker?.release();
    await t.close();
  });

  /** A snapshot request whose answer is awaited in full (status and body). */
  const held = (token: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.get(
        {
          port,
          host: '127.0.0.1',
          path: '/api/v1/feed/snapshot.txt',
          headers: { authorization: `Bearer ${token}` },
        },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
    });
  const snapshot = (token: string) =>
    request(t.server).get('/api/v1/feed/snapshot.txt').set('authorization', `Bearer ${token}`);

  /** Snapshots whose COPY waits on the lock held by `blocker`: each holds its slot meanwhile. */
  async function copiesWaiting(n: number): Promise<void> {
    const db = t.app.get(DataSource);
    for (let i = 0; i < 200; i++) {
      const [{ count }] = await db.query<{ count: number }[]>(
        `SELECT count(*)::int AS count FROM pg_locks
          WHERE relation = 'feed_active_sets'::regclass AND NOT granted`,
      );
      if (count >= n) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`${n} snapshots never started waiting`);
  }

  it('refuses a third snapshot of one ISP and a fourth of the instance, then frees the slots', async () => {
    // Streams that cannot finish: their COPY waits for a lock on the active set, as a slow
    // reader's would wait for its socket. Each keeps its slot until it ends.
    blocker = t.app.get(DataSource).createQueryRunner();
    await blocker.connect();
    await blocker.startTransaction();
    await blocker.query('LOCK TABLE feed_active_sets IN ACCESS EXCLUSIVE MODE');
    const beforeOrg = await refusals(t, 'snapshots-per-organization');
    const beforeInstance = await refusals(t, 'snapshots-per-instance');

    const a1 = held(ispA.token);
    const a2 = held(ispA.token);
    await copiesWaiting(2);
    // A's third: its organization's cap, although the instance has a slot left.
    expectRefusal(await snapshot(ispA.token), 'snapshots-per-organization', 2, 5);
    // Another ISP is not affected: it takes the instance's last slot.
    const b1 = held(ispB.token);
    await copiesWaiting(3);
    // Now the instance is full: the next ISP is told so, with the instance's limit.
    expectRefusal(await snapshot(ispC.token), 'snapshots-per-instance', 3, 5);
    expect(await refusals(t, 'snapshots-per-organization')).toBe(beforeOrg + 1);
    expect(await refusals(t, 'snapshots-per-instance')).toBe(beforeInstance + 1);

    await blocker.commitTransaction();
    for (const done of await Promise.all([a1, a2, b1])) {
      expect(done.status).toBe(200);
      expect(done.body).toMatch(/^# threat-exchange feed snapshot/);
    }
    // Every slot is free again: A may open its two at once, and C its own.
    const again = await Promise.all([
      snapshot(ispA.token),
      snapshot(ispA.token),
      snapshot(ispC.token),
    ]);
    expect(again.map((r) => r.status)).toEqual([200, 200, 200]);
  });

  it('gives back the slot of a snapshot whose client went away', async () => {
    blocker = t.app.get(DataSource).createQueryRunner();
    await blocker.connect();
    await blocker.startTransaction();
    await blocker.query('LOCK TABLE feed_active_sets IN ACCESS EXCLUSIVE MODE');
    const sockets: http.ClientRequest[] = [];
    for (let i = 0; i < 2; i++) {
      sockets.push(
        http
          .get({
            port,
            host: '127.0.0.1',
            path: '/api/v1/feed/snapshot.txt',
            headers: { authorization: `Bearer ${ispA.token}` },
          })
          .on('error', () => undefined),
      );
    }
    await copiesWaiting(2);
    expect((await snapshot(ispA.token)).status).toBe(429);
    for (const s of sockets) s.destroy();
    await blocker.commitTransaction();
    // The aborted streams end; their slots come back.
    let last = 0;
    for (let i = 0; i < 100 && last !== 200; i++) {
      last = (await snapshot(ispA.token)).status;
      if (last !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(last).toBe(200);
  });
});

describe('webhook subscriptions per organization', () => {
  let t: TestApp;
  let ispA: Awaited<ReturnType<typeof isp>>;
  let ispB: Awaited<ReturnType<typeof isp>>;
  const CAP = 3;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        WEBHOOK_MAX_SUBSCRIPTIONS_PER_ORGANIZATION: String(CAP),
        WEBHOOK_ALLOW_HTTP: 'true',
        WEBHOOK_ALLOWED_PRIVATE_CIDRS: '127.0.0.0/8',
        WEBHOOK_POLL_INTERVAL_MS: '0',
      },
    });
    [ispA, ispB] = [await isp(t.app), await isp(t.app)];
  });
  afterAll(async () => {
    await t.close();
  });

  const create = (token: string, path: string) =>
    request(t.server)
      .post('/api/v1/webhooks')
      .set('authorization', `Bearer ${token}`)
      .send({ url: `http://127.0.0.1:9/${path}`, events: ['request.published'] });
  const countOf = async (organizationId: string): Promise<number> => {
    const [{ n }] = await t.app
      .get(DataSource)
      .query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM webhook_subscriptions WHERE organization_id = $1 AND deleted_at IS NULL`,
        [organizationId],
      );
    return n;
  };

  it('lets exactly the cap through when creations race, and refuses the rest with 429', async () => {
    const before = await refusals(t, 'webhook-subscriptions-per-organization');
    const tries = 8;
    const answers = await Promise.all(
      Array.from({ length: tries }, (_, i) => create(ispA.token, `race-${i}`)),
    );
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(CAP);
    expect(statuses.filter((s) => s === 429)).toHaveLength(tries - CAP);
    expect(await countOf(ispA.org.id)).toBe(CAP);
    for (const refused of answers.filter((r) => r.status === 429)) {
      expectRefusal(refused, 'webhook-subscriptions-per-organization', CAP, 60);
    }
    expect(await refusals(t, 'webhook-subscriptions-per-organization')).toBe(before + tries - CAP);

    // Another organization has its own allowance.
    await create(ispB.token, 'other').expect(status(201));

    // Deleting one frees its place; a deleted subscription does not count.
    const id = answers.find((r) => r.status === 201)!.body.id as string;
    await request(t.server)
      .delete(`/api/v1/webhooks/${id}`)
      .set('authorization', `Bearer ${ispA.token}`)
      .expect(status(204));
    await create(ispA.token, 'after-delete').expect(status(201));
    expectRefusal(
      await create(ispA.token, 'one-too-many'),
      'webhook-subscriptions-per-organization',
      CAP,
      60,
    );
  });
});
