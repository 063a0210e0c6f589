import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { departmentStaff, isp, RequestFlow, unprotected } from '#test/support/requests.js';
import { rawBody } from '#test/support/raw-body.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

/**
 * "A published request is visible in every format in under 1 second": published through one
 * instance, read through another (as behind a load balancer), in every format, including the
 * change feed's conditional poll, whose 304 comes from the version held in memory.
 */
describe('a published request is visible in every format within 1 s, on another instance', () => {
  let publisher: TestApp;
  let reader: TestApp;
  let flow: RequestFlow;
  let operator: Awaited<ReturnType<typeof isp>>;

  beforeAll(async () => {
    publisher = await createTestApp();
    reader = await createTestApp();
    flow = new RequestFlow(publisher.app, await departmentStaff(publisher.app));
    operator = await isp(publisher.app);
    await flow.publish([operator.org.id], [unprotected.domain()]);
  });
  afterAll(async () => {
    await reader.close();
    await publisher.close();
  });

  const read = (path: string, headers: Record<string, string> = {}) => {
    let call = request(reader.server)
      .get(path)
      .set('authorization', `Bearer ${operator.token}`)
      .buffer(true)
      .parse(rawBody);
    for (const [name, value] of Object.entries(headers)) call = call.set(name, value);
    return call;
  };

  /** Milliseconds from `since` until `visible` answers true (polling every 10 ms), at most 3 s. */
  async function timeUntil(since: number, visible: () => Promise<boolean>): Promise<number> {
    while (performance.now() - since < 3000) {
      if (await visible()) return performance.now() - since;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return Infinity;
  }

  it('in the change feed (conditional poll), every snapshot format and TAXII', async () => {
    // The ISP is up to date and polling with its ETag: 304s until the publication.
    const current = await read('/api/v1/feed/changes?after=0&limit=1000').expect(200);
    const held = String((JSON.parse((current.body as Buffer).toString()) as { next: number }).next);
    const polled = await read(`/api/v1/feed/changes?after=${held}`).expect(200);
    const etag = polled.headers.etag;
    await read(`/api/v1/feed/changes?after=${held}`, { 'if-none-match': etag }).expect(304);

    const value = unprotected.domain();
    const draft = await flow.draft([operator.org.id]);
    await flow.addValues(draft.id as string, [value]);
    await flow.submit(draft.id as string);
    await flow.approve(draft.id as string);
    const published = performance.now();

    const has = (path: string, headers?: Record<string, string>) => async () => {
      const res = await read(path, headers);
      return res.status === 200 && (res.body as Buffer).toString().includes(value);
    };
    const formats: Record<string, () => Promise<boolean>> = {
      'changes (If-None-Match)': has(`/api/v1/feed/changes?after=${held}`, {
        'if-none-match': etag,
      }),
      json: has('/api/v1/feed/snapshot.json'),
      ndjson: has('/api/v1/feed/snapshot.ndjson'),
      csv: has('/api/v1/feed/snapshot.csv'),
      txt: has('/api/v1/feed/snapshot.txt'),
      rpz: has('/api/v1/feed/snapshot.rpz'),
      stix: has('/api/v1/feed/snapshot.stix'),
      taxii: has(`/taxii2/feeds/collections/${operator.org.id}/objects/`),
    };
    const elapsed: Record<string, number> = {};
    for (const [format, visible] of Object.entries(formats)) {
      elapsed[format] = Math.round(await timeUntil(published, visible));
    }
    // Each format was first asked after the previous one answered: all within the second.
    for (const ms of Object.values(elapsed)) expect(ms).toBeLessThan(1000);
    expect(Object.keys(elapsed)).toHaveLength(8);
  });
});
