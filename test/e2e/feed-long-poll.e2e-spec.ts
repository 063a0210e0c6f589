import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import request from 'supertest';
import { ChangeWaiters } from '#src/feeds/pulls/change-waiters.js';
import { FeedService } from '#src/feeds/pulls/feed.service.js';
import { departmentStaff, isp, RequestFlow, status, unprotected } from '#test/support/requests.js';
import { instanceEnv, ServiceProcess } from '#test/support/service-process.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

interface ChangesBody {
  after: number;
  next: number;
  more: boolean;
  currentVersion: number;
  changes: { version: number; op: 'add' | 'remove'; value: string; dnsAction: string | null }[];
}

type Isp = Awaited<ReturnType<typeof isp>>;

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A long poll over real HTTP, timed: when it was answered, with what. */
function longPoll(
  base: string,
  token: string,
  query: string,
  options: { etag?: string; signal?: AbortSignal } = {},
) {
  const sent = Date.now();
  return fetch(`${base}/api/v1/feed/changes?${query}`, {
    headers: {
      authorization: `Bearer ${token}`,
      ...(options.etag ? { 'if-none-match': options.etag } : {}),
    },
    signal: options.signal,
  }).then(async (res) => ({
    status: res.status,
    headers: res.headers,
    text: await res.text(),
    answeredAt: Date.now(),
    tookMs: Date.now() - sent,
  }));
}

/**
 * Long polls of the change feed (`wait=`, decision 0017): held while nothing of the ISP's is
 * newer, woken by a change of its own feed only, released when the client goes away, answered
 * at once at shutdown; on every instance.
 */
describe('long polls of the change feed', () => {
  let t: TestApp;
  let base: string;
  let flow: RequestFlow;
  let waiters: ChangeWaiters;

  beforeAll(async () => {
    // One held request per organization (the cap is tested below); a 1 s idle timeout, which
    // must not cut a held request.
    t = await createTestApp({
      env: { FEED_WAIT_MAX_PER_ORGANIZATION: '1', HTTP_IDLE_TIMEOUT_MS: '1000' },
    });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    flow = new RequestFlow(t.app, await departmentStaff(t.app));
    waiters = t.app.get(ChangeWaiters);
  });
  afterAll(async () => {
    await t.close();
  });

  const pull = (token: string, query: string) =>
    request(t.server).get(`/api/v1/feed/changes?${query}`).set('authorization', `Bearer ${token}`);
  /** The ISP's position now: `next` of a pull after 0. */
  const head = async (who: Isp) =>
    ((await pull(who.token, 'after=0').expect(status(200))).body as ChangesBody).next;
  const held = (who: Isp, count = 1) =>
    until(() => waiters.heldFor(who.org.id) === count, `${count} held for the ISP`);

  it('holds an empty poll and answers it as soon as a change of this ISP commits', async () => {
    const a = await isp(t.app);
    const after = await head(a);
    const polled = longPoll(base, a.token, `after=${after}&wait=30`);
    await held(a);
    const value = unprotected.domain();
    await flow.publish([a.org.id], [value]);
    const approvedAt = Date.now();
    const res = await polled;
    expect(res.status).toBe(200);
    expect(res.answeredAt - approvedAt).toBeLessThan(1000);
    const body = JSON.parse(res.text) as ChangesBody;
    expect(body.changes.map((c) => [c.op, c.value, c.dnsAction])).toEqual([
      ['add', value, 'nxdomain'],
    ]);
    expect(body.after).toBe(after);
    expect(waiters.heldFor(a.org.id)).toBe(0);
  });

  it('holds a poll that would be a 304, and wakes it with the change', async () => {
    const a = await isp(t.app);
    const first = await pull(a.token, `after=${await head(a)}`).expect(200);
    const etag = first.headers.etag;
    const polled = longPoll(base, a.token, `after=${(first.body as ChangesBody).next}&wait=30`, {
      etag,
    });
    await held(a);
    const value = unprotected.ipv4();
    await flow.publish([a.org.id], [value]);
    const approvedAt = Date.now();
    const res = await polled;
    expect(res.status).toBe(200);
    expect(res.answeredAt - approvedAt).toBeLessThan(1000);
    expect(res.headers.get('etag')).not.toBe(etag);
    expect((JSON.parse(res.text) as ChangesBody).changes.map((c) => c.value)).toEqual([value]);
  });

  it('is not woken by a change of another ISP, and ends the wait with the empty page', async () => {
    const [a, b] = [await isp(t.app), await isp(t.app)];
    const after = await head(a);
    const polled = longPoll(base, a.token, `after=${after}&wait=3`);
    await held(a);
    const published = await flow.publish([b.org.id], [unprotected.domain()]);
    expect(published.status).toBe('published');
    // The check after B's publication (NOTIFY, or the 1 s poll) left it waiting.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(waiters.heldFor(a.org.id)).toBe(1);
    const res = await polled;
    // Held for the whole wait, through a 1 s HTTP_IDLE_TIMEOUT_MS.
    expect(res.tookMs).toBeGreaterThanOrEqual(2900);
    expect(res.status).toBe(200);
    const body = JSON.parse(res.text) as ChangesBody;
    expect(body).toMatchObject({ after, changes: [], more: false });
    expect(body.next).toBe(body.currentVersion);
    expect(body.next).toBeGreaterThan(after);
  });

  it('ends the wait of a poll that would be a 304 with the route’s answer then', async () => {
    const a = await isp(t.app);
    const first = await pull(a.token, `after=${await head(a)}`).expect(200);
    const res = await longPoll(base, a.token, `after=${(first.body as ChangesBody).next}&wait=1`, {
      etag: first.headers.etag,
    });
    expect(res.tookMs).toBeGreaterThanOrEqual(900);
    // 304 while the feed version did not move; an empty page if another test's publication
    // (any ISP's) moved it meanwhile.
    if (res.status === 200) expect((JSON.parse(res.text) as ChangesBody).changes).toEqual([]);
    else expect(res.status).toBe(304);
  });

  it('answers at once when there is something already, and without wait as before', async () => {
    const a = await isp(t.app);
    const value = unprotected.domain();
    await flow.publish([a.org.id], [value]);
    const res = await longPoll(base, a.token, 'after=0&wait=30');
    expect(res.status).toBe(200);
    expect(res.tookMs).toBeLessThan(1000);
    expect((JSON.parse(res.text) as ChangesBody).changes.map((c) => c.value)).toEqual([value]);
    const plain = await pull(a.token, `after=${await head(a)}&wait=0`).expect(200);
    expect((plain.body as ChangesBody).changes).toEqual([]);
  });

  it('refuses a wait outside 0..60 by name', async () => {
    const a = await isp(t.app);
    for (const wait of ['61', '-1', 'soon', '1.5', '1e3']) {
      const res = await pull(a.token, `after=0&wait=${wait}`).expect(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body['invalid-params']).toEqual([expect.objectContaining({ name: 'wait' })]);
    }
  });

  it('limits held polls per organization (429), and frees the slot of a client that went away', async () => {
    const [a, b] = [await isp(t.app), await isp(t.app)];
    const after = await head(a);
    const gone = new AbortController();
    const first = longPoll(base, a.token, `after=${after}&wait=30`, { signal: gone.signal });
    first.catch(() => undefined);
    await held(a);
    const refused = await pull(a.token, `after=${after}&wait=30`).expect(429);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.headers['retry-after']).toBe('5');
    expect(refused.body).toMatchObject({
      limit: 'feed-waits-per-organization',
      limitValue: 1,
    });
    // Another ISP is not refused.
    const other = new AbortController();
    const theirs = longPoll(base, b.token, `after=${await head(b)}&wait=30`, {
      signal: other.signal,
    });
    theirs.catch(() => undefined);
    await held(b);
    // The client goes away: its slot is freed at once, and a new poll is held, not refused.
    gone.abort();
    await expect(first).rejects.toThrow();
    await held(a, 0);
    const again = new AbortController();
    const next = longPoll(base, a.token, `after=${after}&wait=30`, { signal: again.signal });
    next.catch(() => undefined);
    await held(a);
    again.abort();
    other.abort();
    await held(a, 0);
    await held(b, 0);
  });

  it('carries the DNS action of the adding request; removals carry none', async () => {
    const a = await isp(t.app);
    const after = await head(a);
    const draft = await flow.draft([a.org.id], { dnsAction: 'nodata' });
    const value = unprotected.domain();
    await flow.addValues(draft.id as string, [value]);
    await flow.submit(draft.id as string);
    await flow.approve(draft.id as string);
    await flow.withdraw(draft.id as string);
    const body = (await pull(a.token, `after=${after}`).expect(200)).body as ChangesBody;
    expect(body.changes.map((c) => [c.op, c.value, c.dnsAction])).toEqual([
      ['add', value, 'nodata'],
      ['remove', value, null],
    ]);
  });

  it('still answers a plain conditional poll (wait=0 too) from memory, before the route', async () => {
    const a = await isp(t.app);
    const after = await head(a);
    const etag = (await pull(a.token, `after=${after}`).expect(200)).headers.etag;
    const changes = jest.spyOn(t.app.get(FeedService), 'changes');
    try {
      await pull(a.token, `after=${after}`).set('if-none-match', etag).expect(304);
      await pull(a.token, `after=${after}&wait=0`).set('if-none-match', etag).expect(304);
      expect(changes).not.toHaveBeenCalled();
    } finally {
      changes.mockRestore();
    }
  });
});

describe('long polls at shutdown', () => {
  it('answers every held poll at once when the service stops', async () => {
    const t = await createTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    const a = await isp(t.app);
    const after = (
      (
        await request(t.server)
          .get('/api/v1/feed/changes?after=0')
          .set('authorization', `Bearer ${a.token}`)
          .expect(200)
      ).body as ChangesBody
    ).next;
    const polled = longPoll(base, a.token, `after=${after}&wait=30`);
    const waiters = t.app.get(ChangeWaiters);
    await until(() => waiters.heldFor(a.org.id) === 1, 'the poll held');
    const stopping = Date.now();
    await t.close();
    const res = await polled;
    expect(res.answeredAt - stopping).toBeLessThan(1500);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ after, changes: [] });
  });
});

describe('long polls on another instance', () => {
  let a: TestApp;
  let b: ServiceProcess;
  let bUrl: string;

  beforeAll(async () => {
    a = await createTestApp();
    b = ServiceProcess.start(instanceEnv('0', { HOST: '127.0.0.1' }));
    bUrl = await b.listening();
  }, 120_000);
  afterAll(async () => {
    await a?.close();
    if (b?.child.exitCode === null) {
      b.child.kill('SIGTERM');
      await b.exited;
    }
  });

  it('wakes a poll held on one instance with a publication made through another', async () => {
    const flow = new RequestFlow(a.app, await departmentStaff(a.app));
    const mine = await isp(a.app);
    const first = await fetch(`${bUrl}/api/v1/feed/changes?after=0`, {
      headers: { authorization: `Bearer ${mine.token}` },
    });
    expect(first.status).toBe(200);
    const after = ((await first.json()) as ChangesBody).next;
    const polled = longPoll(bUrl, mine.token, `after=${after}&wait=30`);
    await until(
      async () => /^feed_change_waits 1$/m.test(await (await fetch(`${bUrl}/metrics`)).text()),
      'the poll held on the other instance',
    );
    const value = unprotected.domain();
    await flow.publish([mine.org.id], [value]);
    const approvedAt = Date.now();
    const res = await polled;
    expect(res.status).toBe(200);
    expect(res.answeredAt - approvedAt).toBeLessThan(2000);
    expect((JSON.parse(res.text) as ChangesBody).changes.map((c) => c.value)).toEqual([value]);
  });
});
