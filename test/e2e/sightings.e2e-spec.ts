import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ManualClock } from '#src/platform/clock/clock.js';
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

const HOUR = 3600_000;

/**
 * Sightings: ISPs report hits on indicators their feed carried; the Department lists them and
 * summarizes them per network/customer ("units with botnet connections"). Exact figures.
 */
describe('sightings', () => {
  let t: TestApp;
  let db: DataSource;
  let staff: Staff;
  const clock = new ManualClock();
  let T0: Date;
  let a: { orgId: string; operator: string; client: string };
  let b: { orgId: string; operator: string };
  let auditor: string;
  const v = {
    botnet: unprotected.domain(),
    plain: unprotected.domain(),
    ip: unprotected.ipv4(),
    onlyB: unprotected.domain(),
  };
  const id: Record<keyof typeof v, string> = { botnet: '', plain: '', ip: '', onlyB: '' };
  const ago = (hours: number): string => new Date(T0.getTime() - hours * HOUR).toISOString();

  const post = (token: string, sightings: object[], key?: string) => {
    const req = request(t.server).post('/api/v1/sightings').set('authorization', `Bearer ${token}`);
    if (key) void req.set('idempotency-key', key);
    return req.send({ sightings });
  };
  const get = (token: string, path: string) =>
    request(t.server).get(`/api/v1/sightings${path}`).set('authorization', `Bearer ${token}`);
  const countOf = async (orgId: string): Promise<number> =>
    Number(
      (
        await db.query<{ n: string }[]>(
          `SELECT count(*) AS n FROM sightings WHERE organization_id = $1`,
          [orgId],
        )
      )[0].n,
    );

  beforeAll(async () => {
    t = await createTestApp({ clock });
    db = t.app.get(DataSource);
    staff = await departmentStaff(t.app);
    const make = new Factories(t.app);
    const ispA = await isp(t.app);
    const clientA = await make.apiClient(ispA.org);
    a = {
      orgId: ispA.org.id,
      operator: ispA.token,
      client: await make.clientToken(clientA.clientId, clientA.secret),
    };
    const ispB = await isp(t.app);
    b = { orgId: ispB.org.id, operator: ispB.token };
    auditor = (await make.loginAs('auditor')).token;
    for (const [name, value] of Object.entries(v)) {
      const res = await request(t.server)
        .post('/api/v1/indicators')
        .set('authorization', `Bearer ${staff.analyst}`)
        .send({ value, ...(name === 'botnet' ? { tags: ['botnet', 'c2'] } : {}) })
        .expect(status(201));
      id[name as keyof typeof v] = res.body.id as string;
    }
    clock.set(new Date()); // publication checks validFrom (set by the database) against the clock
    T0 = clock.now();
    const flow = new RequestFlow(t.app, staff);
    await flow.publish([a.orgId], [v.botnet, v.plain, v.ip]);
    await flow.publish([b.orgId], [v.botnet, v.onlyB]);
  });
  afterAll(async () => {
    await t.close();
  });

  it('records a batch (canonical values and networks) in one audited transaction', async () => {
    const res = await post(a.operator, [
      {
        value: `${v.botnet.toUpperCase()}.`,
        count: 100,
        firstSeen: ago(48),
        lastSeen: ago(24),
        network: '203.0.113.0/26',
        customer: 'Department of Health',
      },
      {
        indicatorId: id.ip,
        count: 5,
        firstSeen: ago(10),
        lastSeen: ago(2),
        network: '198.51.100.7',
      },
      {
        value: v.plain,
        type: 'domain',
        count: 7,
        firstSeen: ago(30),
        lastSeen: ago(20),
        customer: 'People’s Committee',
        note: 'resolver logs',
      },
      {
        value: v.plain,
        count: 8,
        firstSeen: ago(72),
        lastSeen: ago(3),
        network: '203.0.113.0/26',
        customer: 'Department of Health',
      },
    ]).expect(status(201));
    const items = res.body.items as Record<string, unknown>[];
    expect(
      items.map((i) => [i.indicatorId, i.indicatorValue, i.count, i.network, i.customer]),
    ).toEqual([
      [id.botnet, v.botnet, 100, '203.0.113.0/26', 'Department of Health'],
      [id.ip, v.ip, 5, '198.51.100.7/32', null],
      [id.plain, v.plain, 7, null, 'People’s Committee'],
      [id.plain, v.plain, 8, '203.0.113.0/26', 'Department of Health'],
    ]);
    expect(items[0]).toMatchObject({
      organizationId: a.orgId,
      indicatorType: 'domain',
      firstSeen: ago(48),
      lastSeen: ago(24),
      note: null,
    });
    expect(items[2].note).toBe('resolver logs');
    expect(await countOf(a.orgId)).toBe(4);
    await t.sealAudit();
    const audit = await db.query<{ summary: object; actor_type: string }[]>(
      `SELECT summary, actor_type FROM audit_events
        WHERE action = 'sighting.report' AND organization_id = $1`,
      [a.orgId],
    );
    expect(audit).toEqual([
      { summary: { sightings: 4, indicators: 3, totalCount: 120 }, actor_type: 'user' },
    ]);

    await post(b.operator, [
      {
        value: v.botnet,
        count: 50,
        firstSeen: ago(5),
        lastSeen: ago(1),
        network: '203.0.113.128/25',
        customer: 'Department of Health',
      },
    ]).expect(status(201));
  });

  it('refuses bad items with a pointer to each, and records nothing of the batch (400)', async () => {
    const good = {
      value: v.plain,
      count: 1,
      firstSeen: ago(2),
      lastSeen: ago(1),
      network: '192.0.2.0/24',
    };
    const res = await post(a.operator, [
      good,
      { ...good, lastSeen: new Date(T0.getTime() + 60_000).toISOString() },
      { ...good, firstSeen: ago(1), lastSeen: ago(2) },
      { ...good, network: '203.0.113.5/24' },
      { ...good, network: 'not-a-network' },
      { value: v.plain, count: 1, firstSeen: ago(2), lastSeen: ago(1) },
      { ...good, indicatorId: id.plain },
      { ...good, value: 'not a domain!' },
      { ...good, customer: '   ' },
    ]).expect(status(400));
    const names = (res.body['invalid-params'] as { name: string }[]).map((p) => p.name);
    expect([...new Set(names)].sort()).toEqual(
      [
        'sightings[1].lastSeen',
        'sightings[2].firstSeen',
        'sightings[3].network',
        'sightings[4].network',
        'sightings[5].network',
        'sightings[6].indicatorId',
        'sightings[7].value',
        'sightings[8].customer',
      ].sort(),
    );
    const cidr = (res.body['invalid-params'] as { name: string; reason: string }[]).find(
      (p) => p.name === 'sightings[3].network',
    );
    expect(cidr?.reason).toContain('203.0.113.0/24');
    expect(await countOf(a.orgId)).toBe(4);

    // Field types are checked first (the validation pipe), with the same pointers.
    const zero = await post(a.operator, [good, { ...good, count: 0 }]).expect(status(400));
    expect(zero.body['invalid-params']).toEqual([
      { name: 'sightings[1].count', reason: expect.stringContaining('count') },
    ]);
    const many = Array.from({ length: 1001 }, () => good);
    const tooMany = await post(a.operator, many).expect(status(400));
    expect(tooMany.body['invalid-params'][0].name).toBe('sightings');
    await post(a.operator, []).expect(status(400));
    expect(await countOf(a.orgId)).toBe(4);
  });

  it('refuses indicators the ISP’s feed never carried (another ISP’s, unknown) with 422, all or nothing', async () => {
    const good = {
      value: v.plain,
      count: 1,
      firstSeen: ago(2),
      lastSeen: ago(1),
      network: '192.0.2.0/24',
    };
    const res = await post(a.operator, [
      good,
      { ...good, value: v.onlyB },
      { ...{ ...good, value: undefined }, indicatorId: id.onlyB },
      { ...{ ...good, value: undefined }, indicatorId: randomUUID() },
      { ...good, value: unprotected.domain() },
    ]).expect(status(422));
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const params = res.body['invalid-params'] as { name: string; reason: string }[];
    expect(params.map((p) => p.name)).toEqual([
      'sightings[1].value',
      'sightings[2].indicatorId',
      'sightings[3].indicatorId',
      'sightings[4].value',
    ]);
    // Another ISP's indicator and one that does not exist read the same.
    expect(params[1].reason).toBe(params[2].reason);
    expect(await countOf(a.orgId)).toBe(4);
  });

  it('lists the caller’s own (ISP) or all (Department, auditor), with filters and pages', async () => {
    const ofA = (await get(a.operator, '?limit=200').expect(status(200))).body.items as {
      organizationId: string;
    }[];
    expect(ofA).toHaveLength(4);
    expect(ofA.every((s) => s.organizationId === a.orgId)).toBe(true);
    // An ISP naming another ISP gets nothing of it.
    expect((await get(a.client, `?organizationId=${b.orgId}`).expect(200)).body.items).toEqual([]);
    const ofB = (await get(b.operator, '').expect(200)).body.items as { count: number }[];
    expect(ofB.map((s) => s.count)).toEqual([50]);

    const counts = async (token: string, query: string): Promise<number[]> =>
      ((await get(token, query).expect(status(200))).body.items as { count: number }[])
        .map((s) => s.count)
        .sort((x, y) => x - y);
    expect(await counts(staff.analyst, `?indicatorId=${id.botnet}`)).toEqual([50, 100]);
    expect(await counts(auditor, `?organizationId=${a.orgId}`)).toEqual([5, 7, 8, 100]);
    // Containment: networks within the one given.
    expect(
      await counts(staff.approver, `?network=203.0.113.0/24&indicatorId=${id.botnet}`),
    ).toEqual([50, 100]);
    expect(await counts(staff.analyst, `?network=203.0.113.0/25&indicatorId=${id.botnet}`)).toEqual(
      [100],
    );
    expect(await counts(staff.analyst, `?network=198.51.100.7&organizationId=${a.orgId}`)).toEqual([
      5,
    ]);
    expect(
      await counts(staff.analyst, `?network=198.51.100.0/24&organizationId=${a.orgId}`),
    ).toEqual([5]);
    expect(
      await counts(staff.analyst, `?customer=department%20of%20health&organizationId=${a.orgId}`),
    ).toEqual([8, 100]);
    // from/to on lastSeen.
    expect(await counts(a.operator, `?from=${encodeURIComponent(ago(21))}`)).toEqual([5, 7, 8]);
    expect(await counts(a.operator, `?to=${encodeURIComponent(ago(21))}`)).toEqual([100]);
    // Pages.
    const first = await get(a.operator, '?limit=3').expect(200);
    expect(first.body.items).toHaveLength(3);
    const second = await get(a.operator, `?limit=3&cursor=${first.body.nextCursor}`).expect(200);
    expect(second.body.items).toHaveLength(1);
    expect(second.body.nextCursor).toBeNull();
    const ids = [...first.body.items, ...second.body.items].map((s: { id: string }) => s.id);
    expect(new Set(ids).size).toBe(4);

    await get(staff.analyst, '?network=203.0.113.5/24').expect(status(400));
    await get(staff.analyst, '?from=yesterday').expect(status(400));
    // Years PostgreSQL cannot store, impossible days: 400, not a 500 or another day.
    await get(staff.analyst, '?from=-200000-01-01T00:00:00Z').expect(status(400));
    await get(staff.analyst, '?to=2026-02-30T00:00:00Z').expect(status(400));
  });

  it('summarizes per network/customer and reporting ISP, with exact figures, as JSON and CSV', async () => {
    const all = await get(staff.analyst, '/summary?network=203.0.113.0/24').expect(status(200));
    expect(all.body).toEqual({
      truncated: false,
      items: [
        {
          network: '203.0.113.0/26',
          customer: 'Department of Health',
          organizationId: a.orgId,
          organizationName: expect.any(String),
          indicators: [
            { id: id.botnet, type: 'domain', value: v.botnet },
            { id: id.plain, type: 'domain', value: v.plain },
          ].sort((x, y) => (x.value < y.value ? -1 : 1)),
          sightings: 2,
          totalCount: 108,
          firstSeen: ago(72),
          lastSeen: ago(3),
        },
        {
          network: '203.0.113.128/25',
          customer: 'Department of Health',
          organizationId: b.orgId,
          organizationName: expect.any(String),
          indicators: [{ id: id.botnet, type: 'domain', value: v.botnet }],
          sightings: 1,
          totalCount: 50,
          firstSeen: ago(5),
          lastSeen: ago(1),
        },
      ],
    });
    const botnet = await get(auditor, '/summary?network=203.0.113.0/24&tag=botnet').expect(200);
    expect(
      botnet.body.items.map((r: Record<string, unknown>) => [
        r.organizationId,
        r.totalCount,
        r.firstSeen,
        r.lastSeen,
      ]),
    ).toEqual([
      [a.orgId, 100, ago(48), ago(24)],
      [b.orgId, 50, ago(5), ago(1)],
    ]);
    // Per indicator: who contacts this one (uppercase id: the same id).
    const plain = await get(
      staff.analyst,
      `/summary?network=203.0.113.0/24&indicatorId=${id.plain.toUpperCase()}`,
    ).expect(200);
    expect(
      plain.body.items.map((r: Record<string, unknown>) => [
        r.organizationId,
        r.indicators,
        r.sightings,
        r.totalCount,
      ]),
    ).toEqual([[a.orgId, [{ id: id.plain, type: 'domain', value: v.plain }], 1, 8]]);
    const ips = await get(staff.analyst, `/summary?type=ipv4&organizationId=${a.orgId}`).expect(
      200,
    );
    expect(
      ips.body.items.map((r: Record<string, unknown>) => [r.network, r.customer, r.totalCount]),
    ).toEqual([['198.51.100.7/32', null, 5]]);
    // An ISP's summary is its own.
    const mine = await get(b.operator, '/summary').expect(200);
    expect(mine.body.items.map((r: { organizationId: string }) => r.organizationId)).toEqual([
      b.orgId,
    ]);

    const csv = await get(
      staff.analyst,
      '/summary?network=203.0.113.0/24&tag=botnet&format=csv',
    ).expect(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
    expect(csv.headers['cache-control']).toBe('private, no-store');
    const lines = csv.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'network,customer,organization_id,organization_name,indicators,sightings,total_count,first_seen,last_seen',
    );
    expect(lines.slice(1).map((l) => l.split(',').filter((_, i) => i !== 3))).toEqual([
      ['203.0.113.0/26', 'Department of Health', a.orgId, v.botnet, '1', '100', ago(48), ago(24)],
      ['203.0.113.128/25', 'Department of Health', b.orgId, v.botnet, '1', '50', ago(5), ago(1)],
    ]);
  });

  it('works for an ISP client with Idempotency-Key: a retry is replayed, an expired key re-executes', async () => {
    const key = randomUUID();
    const one = [
      { value: v.ip, count: 3, firstSeen: ago(4), lastSeen: ago(3), customer: 'Hospital 115' },
    ];
    const before = await countOf(a.orgId);
    const first = await post(a.client, one, key).expect(status(201));
    const again = await post(a.client, one, key).expect(status(201));
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.text).toBe(first.text);
    expect(await countOf(a.orgId)).toBe(before + 1);
    // Same key, other body: 422; the operator of the same ISP is another caller.
    await post(a.client, [{ ...one[0], count: 4 }], key).expect(status(422));
    const operator = await post(a.operator, one, key).expect(status(201));
    expect(operator.headers['idempotent-replayed']).toBeUndefined();
    expect(await countOf(a.orgId)).toBe(before + 2);
    await t.sealAudit();
    const audit = await db.query<{ actor_type: string }[]>(
      `SELECT actor_type FROM audit_events WHERE action = 'sighting.report' AND organization_id = $1
        ORDER BY id`,
      [a.orgId],
    );
    expect(audit.map((e) => e.actor_type)).toEqual(['user', 'api_client', 'user']);

    clock.advance(25 * HOUR);
    const later = await post(a.client, one, key).expect(status(201));
    expect(later.headers['idempotent-replayed']).toBeUndefined();
    expect(later.body.items[0].id).not.toBe(first.body.items[0].id);
    expect(await countOf(a.orgId)).toBe(before + 3);
  });

  // Last: it adds a sighting the tests above do not count.
  it('takes an uppercase indicatorId as the same id, and only date-times with a zone', async () => {
    const good = { count: 1, firstSeen: ago(2), lastSeen: ago(1), network: '192.0.2.0/24' };
    const before = await countOf(a.orgId);
    const bad = await post(a.operator, [
      { ...good, indicatorId: id.plain, firstSeen: ago(2).replace(/:\d{2}\.\d{3}Z$/, '') },
      { ...good, indicatorId: id.plain, lastSeen: 0 },
    ]).expect(status(400));
    expect(bad.body['invalid-params']).toEqual([
      { name: 'sightings[0].firstSeen', reason: expect.stringMatching(/with a zone/) },
      { name: 'sightings[1].lastSeen', reason: expect.stringMatching(/with a zone/) },
    ]);
    await post(a.operator, [{ ...good, indicatorId: id.plain.toUpperCase() }]).expect(status(201));
    expect(await countOf(a.orgId)).toBe(before + 1);
  });
});
