import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { Factories } from '#test/support/factories.js';
import {
  departmentStaff,
  isp,
  RequestFlow,
  status,
  unprotected,
  type Staff,
} from '#test/support/requests.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

interface Event {
  id: string;
  seq: number;
  hash: string;
  at: string;
  actor: { type: string; id: string | null };
  organizationId: string | null;
  roles: string[];
  action: string;
  objectType: string;
  objectId: string | null;
  summary: Record<string, unknown>;
  requestId: string | null;
  clientIp: string | null;
}
interface EventPage {
  items: Event[];
  nextCursor: string | null;
}

/**
 * Searching the audit trail: events written by real API actions, found by each filter. Other
 * test files write events to the same database at the same time, so every expectation is
 * scoped to actors, organizations or objects this file created.
 */
describe('audit search', () => {
  let t: TestApp;
  let staff: Staff;
  let auditor: string;
  let admin: string;
  let ispToken: string;
  let ispClient: string;
  const indicatorIds: string[] = [];
  const requestIds: string[] = [];
  let blockingRequestId: string;

  const search = (query: Record<string, string | number>, token = auditor) =>
    request(t.server)
      .get('/api/v1/audit/events')
      .query(query)
      .set('authorization', `Bearer ${token}`);
  const found = async (query: Record<string, string | number>): Promise<Event[]> =>
    ((await search({ limit: 200, ...query }).expect(status(200))).body as EventPage).items;

  beforeAll(async () => {
    t = await createTestApp();
    const make = new Factories(t.app);
    staff = await departmentStaff(t.app);
    auditor = (await make.loginAs('auditor')).token;
    admin = (await make.loginAs('admin')).token;
    ispToken = (await isp(t.app)).token;
    ispClient = (await make.loginAs('isp_client')).token;
    for (let i = 0; i < 5; i++) {
      const requestId = `audit-search-${randomUUID()}`;
      const res = await request(t.server)
        .post('/api/v1/indicators')
        .set('authorization', `Bearer ${staff.analyst}`)
        .set('x-request-id', requestId)
        .send({ value: unprotected.domain() })
        .expect(status(201));
      indicatorIds.push(res.body.id as string);
      requestIds.push(requestId);
    }
    const published = await new RequestFlow(t.app, staff).publish('all', [unprotected.domain()]);
    blockingRequestId = published.id as string;
  });
  afterAll(async () => {
    await t.close();
  });

  it('finds an actor’s events, newest first, with every field', async () => {
    const events = await found({ actorId: staff.analystId, objectType: 'indicator' });
    expect(events.map((e) => e.objectId)).toEqual([...indicatorIds].reverse());
    expect(events[4]).toEqual({
      id: expect.stringMatching(/^\d+$/),
      seq: expect.any(Number),
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      actor: { type: 'user', id: staff.analystId },
      organizationId: staff.organization.id,
      roles: ['analyst'],
      action: 'indicator.create',
      objectType: 'indicator',
      objectId: indicatorIds[0],
      summary: expect.any(Object),
      requestId: requestIds[0],
      clientIp: expect.any(String),
    });
    const all = await found({ actorId: staff.analystId });
    expect(all.every((e) => e.actor.id === staff.analystId)).toBe(true);
    expect(all.map((e) => e.action).sort()).toEqual(
      [
        ...Array<string>(5).fill('indicator.create'),
        'blocking_request.add_items',
        'blocking_request.create',
        'blocking_request.submit',
      ].sort(),
    );
    // Newest first: (at, id) strictly decreasing.
    for (let i = 1; i < all.length; i++) {
      const [prev, cur] = [all[i - 1], all[i]];
      expect(prev.at > cur.at || (prev.at === cur.at && BigInt(prev.id) > BigInt(cur.id))).toBe(
        true,
      );
    }
  });

  it('finds an organization’s events (every member), the approver’s among them', async () => {
    const events = await found({ organizationId: staff.organization.id });
    expect(new Set(events.map((e) => e.organizationId))).toEqual(new Set([staff.organization.id]));
    expect(events.filter((e) => e.actor.id === staff.approverId).map((e) => e.action)).toEqual([
      'blocking_request.approve',
    ]);
    expect(events.filter((e) => e.actor.id === staff.analystId)).toHaveLength(8);
  });

  it('finds an object’s history', async () => {
    const events = await found({ objectType: 'blocking_request', objectId: blockingRequestId });
    expect(events.map((e) => e.action)).toEqual([
      'blocking_request.approve',
      'blocking_request.submit',
      'blocking_request.add_items',
      'blocking_request.create',
    ]);
    expect(await found({ objectType: 'indicator', objectId: blockingRequestId })).toEqual([]);
    const one = await found({ objectType: 'indicator', objectId: indicatorIds[2] });
    expect(one.map((e) => [e.action, e.requestId])).toEqual([['indicator.create', requestIds[2]]]);
  });

  it('matches an action exactly, or every action under a prefix ending with a dot', async () => {
    const org = staff.organization.id;
    const exact = await found({ organizationId: org, action: 'blocking_request.approve' });
    expect(exact.map((e) => [e.action, e.objectId])).toEqual([
      ['blocking_request.approve', blockingRequestId],
    ]);
    const prefix = await found({ organizationId: org, action: 'blocking_request.' });
    expect(prefix.map((e) => e.action)).toEqual([
      'blocking_request.approve',
      'blocking_request.submit',
      'blocking_request.add_items',
      'blocking_request.create',
    ]);
    // No partial words: `blocking_req` is neither an action nor a prefix ending in a dot.
    expect(await found({ organizationId: org, action: 'blocking_req' })).toEqual([]);
  });

  it('selects by time: from inclusive, to exclusive', async () => {
    const all = await found({ actorId: staff.analystId });
    const pivot = all[3].at;
    const from = await found({ actorId: staff.analystId, from: pivot });
    expect(from.map((e) => e.id)).toEqual(all.filter((e) => e.at >= pivot).map((e) => e.id));
    expect(from.map((e) => e.id)).toContain(all[3].id);
    const to = await found({ actorId: staff.analystId, to: pivot });
    expect(to.map((e) => e.id)).toEqual(all.filter((e) => e.at < pivot).map((e) => e.id));
    expect(from.length + to.length).toBe(all.length);
    const zoned = pivot.replace('Z', '+00:00');
    expect((await found({ actorId: staff.analystId, from: zoned })).length).toBe(from.length);
    const later = new Date(Date.parse(all[0].at) + 1).toISOString();
    expect(await found({ actorId: staff.analystId, from: later })).toEqual([]);
  });

  it('pages through results without duplicates or gaps', async () => {
    const all = await found({ organizationId: staff.organization.id });
    expect(all).toHaveLength(9);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: Record<string, string | number> = {
        organizationId: staff.organization.id,
        limit: 2,
      };
      if (cursor) query.cursor = cursor;
      const page = (await search(query).expect(status(200))).body as EventPage;
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null && pages < 20);
    expect(pages).toBe(5);
    expect(seen).toEqual(all.map((e) => e.id));
    const exact = (
      await search({ organizationId: staff.organization.id, limit: 9 }).expect(status(200))
    ).body as EventPage;
    expect(exact.items).toHaveLength(9);
    expect(exact.nextCursor).toBeNull();
  });

  it('refuses bad input with 400 problem+json naming the field', async () => {
    const cases: [Record<string, string | number>, string][] = [
      [{ from: '2026-02-30T00:00:00Z' }, 'from'],
      [{ to: '2026-11-21T17:30:00' }, 'to'],
      [{ from: 'yesterday' }, 'from'],
      [{ from: '2026-11-21T00:00:00Z', to: '2026-11-20T00:00:00Z' }, 'to'],
      [{ actorId: 'not-a-uuid' }, 'actorId'],
      [{ organizationId: '1234' }, 'organizationId'],
      [{ limit: 0 }, 'limit'],
      [{ limit: 201 }, 'limit'],
      [{ limit: 'ten' }, 'limit'],
      [{ unknown: 'x' }, 'unknown'],
      [{ cursor: 'garbage' }, 'cursor'],
      [{ cursor: Buffer.from('["x","1"]').toString('base64url') }, 'cursor'],
      [{ cursor: 'a+b/c' }, 'cursor'],
      [{ objectId: indicatorIds[0] }, 'objectId'],
      [{ objectType: 'Indicator' }, 'objectType'],
      [{ action: 'indicator.%' }, 'action'],
      [{ action: 'Indicator.create' }, 'action'],
    ];
    for (const [query, field] of cases) {
      const res = await search(query);
      expect([JSON.stringify(query), res.status]).toEqual([JSON.stringify(query), 400]);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect((res.body['invalid-params'] as { name: string }[]).map((p) => p.name)).toContain(
        field,
      );
    }
  });

  it('is for auditors and Department admins only', async () => {
    await search({ limit: 1 }, admin).expect(status(200));
    for (const token of [staff.analyst, staff.approver, ispToken, ispClient]) {
      const res = await search({ limit: 1 }, token);
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    await request(t.server).get('/api/v1/audit/events').expect(status(401));
  });
});
