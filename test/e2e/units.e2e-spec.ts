import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Global, Module } from '@nestjs/common';
import request from 'supertest';
import { DataSource, type EntityManager } from 'typeorm';
import type { Principal } from '#src/identity/auth/principal.js';
import { SightingsObserver } from '#src/obligations/sightings/sightings-observer.js';
import { ManualClock } from '#src/platform/clock/clock.js';
import { CaseTracker, type MatchedConnection } from '#src/response/cases/case-tracker.js';
import { Factories } from '#test/support/factories.js';
import { departmentStaff, isp, status, unprotected } from '#test/support/requests.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

/** What the fake CaseTracker was given, call by call. */
const recorded: { reporter: Principal; connections: MatchedConnection[] }[] = [];

class RecordingCaseTracker extends CaseTracker {
  async record(
    _manager: EntityManager,
    reporter: Principal,
    connections: readonly MatchedConnection[],
  ): Promise<void> {
    recorded.push({ reporter, connections: [...connections] });
    return Promise.resolve();
  }
}

/** Stands in for the cases feature's CaseTracker (global, as the real one will be). */
@Global()
@Module({
  providers: [{ provide: CaseTracker, useClass: RecordingCaseTracker }],
  exports: [CaseTracker],
})
class FakeCasesModule {}

const HOUR = 3600_000;

/**
 * Units: creation with networks and contacts, refusals that name the overlapping unit or the
 * protected list, the CSV import (all or nothing), a unit officer's view, and connections
 * matched to units (IPv4 and IPv6, longest prefix) handed to the CaseTracker.
 */
describe('units', () => {
  let t: TestApp;
  let db: DataSource;
  const clock = new ManualClock();
  let admin: string;
  let responder: string;
  let analyst: string;
  let ispToken: string;
  // A /16 and a /32 of this run's own, so that runs and other tests never overlap. 45.96.0.0 to
  // 45.111.255.255 holds no entry of the MISP warninglists other tests import as protected
  // lists (45.121.50.120, a public resolver, once refused a unit network here).
  const x = 96 + (randomBytes(1)[0] % 16);
  const v4 = (third: number, rest = '0/24'): string => `45.${x}.${third}.${rest}`;
  const v6p = (1 + (randomBytes(2).readUInt16BE() % 0xfffe)).toString(16);
  const v6 = (n: number): string => `2a0f:${v6p}:${n}::/48`;
  const code = (): string => `U-${randomBytes(4).toString('hex')}`.toUpperCase();
  let unitA: { id: string; shortCode: string; version: number };
  let unitB: { id: string; shortCode: string };

  const api = (method: 'get' | 'post' | 'patch' | 'delete', path: string, token: string) =>
    request(t.server)[method](`/api/v1${path}`).set('authorization', `Bearer ${token}`);
  const reasons = (body: { 'invalid-params'?: { name: string; reason: string }[] }) =>
    Object.fromEntries((body['invalid-params'] ?? []).map((p) => [p.name, p.reason]));
  const unitCount = async (shortCode: string): Promise<number> =>
    (
      await db.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM organizations WHERE short_code = $1`,
        [shortCode],
      )
    )[0].n;

  beforeAll(async () => {
    t = await createTestApp({
      clock,
      extraImports: [FakeCasesModule],
      env: { CONNECTIONS_BODY_LIMIT_BYTES: String(8 * 1024 * 1024) },
    });
    db = t.app.get(DataSource);
    const make = new Factories(t.app);
    admin = (await make.loginAs('admin')).token;
    responder = (await make.loginAs('responder')).token;
    analyst = (await departmentStaff(t.app)).analyst;
    ispToken = (await isp(t.app)).token;
  });

  afterAll(async () => {
    await t?.close();
  });

  beforeEach(() => {
    recorded.length = 0;
  });

  it('creates a unit with its organization, networks (canonical) and contacts, audited', async () => {
    const shortCode = code();
    const res = await api('post', '/units', admin)
      .send({
        name: 'Phường Điện Biên',
        shortCode,
        category: 'commune',
        district: 'Ba Đình',
        contacts: { email: 'it@dienbien.example', hotline: '1900 1234' },
        networks: [v4(1), `45.${x}.2.7`, '2A0F:' + v6p + ':1:0::/48'],
        asns: [45899, 45899, 7552],
      })
      .expect(status(201));
    expect(res.body).toMatchObject({
      name: 'Phường Điện Biên',
      shortCode,
      category: 'commune',
      district: 'Ba Đình',
      contacts: { email: 'it@dienbien.example', hotline: '1900 1234' },
      asns: [45899, 7552],
      networkCount: 3,
      version: 1,
    });
    expect(res.body.networks.map((n: { network: string }) => n.network)).toEqual([
      v4(1),
      `45.${x}.2.7/32`,
      v6(1),
    ]);
    unitA = { id: res.body.id, shortCode, version: 1 };
    const [org] = await db.query<{ kind: string }[]>(
      `SELECT kind FROM organizations WHERE id = $1`,
      [unitA.id],
    );
    expect(org.kind).toBe('unit');
    await t.sealAudit();
    const events = await db.query<{ action: string }[]>(
      `SELECT action FROM audit_events WHERE object_id = $1 ORDER BY action`,
      [unitA.id],
    );
    expect(events.map((e) => e.action)).toEqual(['organization.create', 'unit.create']);

    const b = await api('post', '/units', responder)
      .send({ name: 'Văn phòng B', shortCode: code(), category: 'office', networks: [v4(20)] })
      .expect(status(201));
    unitB = { id: b.body.id, shortCode: b.body.shortCode };
  });

  it('refuses networks overlapping another unit’s, naming the unit and its network', async () => {
    const shortCode = code();
    const res = await api('post', '/units', admin)
      .send({
        name: 'Overlapping',
        shortCode,
        category: 'agency',
        networks: [v4(3), v4(1, '128/25'), `2a0f:${v6p}:1:5::/64`],
      })
      .expect(status(422));
    expect(reasons(res.body)).toEqual({
      'networks[1]': `${v4(1, '128/25')} overlaps ${v4(1)} of unit ${unitA.shortCode}`,
      'networks[2]': `2a0f:${v6p}:1:5::/64 overlaps ${v6(1)} of unit ${unitA.shortCode}`,
    });
    // A network holding several units' networks: each is named.
    const wide = await api('post', '/units', admin)
      .send({ name: 'Wide', shortCode, category: 'agency', networks: [v4(0, '0/16')] })
      .expect(status(422));
    expect(
      (wide.body['invalid-params'] as { reason: string }[])
        .map((p) => p.reason)
        // Other files share the database and import MISP lists, some of which name single
        // addresses anywhere (public resolvers): only the units' overlaps are this test's.
        .filter((reason) => !reason.includes('protected network'))
        .sort(),
    ).toEqual(
      [
        `45.${x}.0.0/16 overlaps ${v4(1)} of unit ${unitA.shortCode}`,
        `45.${x}.0.0/16 overlaps 45.${x}.2.7/32 of unit ${unitA.shortCode}`,
        `45.${x}.0.0/16 overlaps ${v4(20)} of unit ${unitB.shortCode}`,
      ].sort(),
    );
    expect(await unitCount(shortCode)).toBe(0);
  });

  it('refuses networks overlapping each other in one request, and bad networks', async () => {
    const res = await api('post', '/units', admin)
      .send({
        name: 'Self overlap',
        shortCode: code(),
        category: 'agency',
        networks: [v4(30), v4(30, '64/26'), v4(31, '5/24'), 'host.example'],
      })
      .expect(status(422));
    const r = reasons(res.body);
    expect(r['networks[1]']).toBe(
      `${v4(30, '64/26')} overlaps ${v4(30)} (networks[0]) of the same request`,
    );
    expect(r['networks[2]']).toMatch(/host bits/);
    expect(r['networks[3]']).toMatch(/IP address or a CIDR/);
  });

  it('refuses networks that overlap a protected network, naming the list', async () => {
    const res = await api('post', '/units', admin)
      .send({
        name: 'Protected',
        shortCode: code(),
        category: 'office',
        networks: ['10.20.0.0/16', '0.0.0.0/0', '2001:db8:1::/48'],
      })
      .expect(status(422));
    const r = res.body['invalid-params'] as { name: string; reason: string }[];
    const of = (name: string): string[] => r.filter((p) => p.name === name).map((p) => p.reason);
    expect(of('networks[0]')).toContainEqual(
      expect.stringMatching(
        /^10\.20\.0\.0\/16 inside protected network 10\.0\.0\.0\/8 of the protected list "/,
      ),
    );
    expect(of('networks[1]')).toContainEqual(expect.stringMatching(/protected network/));
    expect(of('networks[2]')).toContainEqual(expect.stringMatching(/2001:db8::\/32/));
  });

  it('refuses an overlapping insert in the database itself (the race path)', async () => {
    await expect(
      db.query(`INSERT INTO unit_networks (unit_id, network) VALUES ($1, $2)`, [
        unitB.id,
        v4(1, '0/25'),
      ]),
    ).rejects.toMatchObject({ driverError: { code: '23P01' } });
  });

  it('updates a unit with its version; a stale version is a 409', async () => {
    const res = await api('patch', `/units/${unitA.id}`, responder)
      .send({
        version: unitA.version,
        name: 'Phường Điện Biên (mới)',
        district: null,
        asns: [1, 4294967295],
        contacts: { phone: '+84 24 3823 0000' },
      })
      .expect(status(200));
    expect(res.body).toMatchObject({
      name: 'Phường Điện Biên (mới)',
      district: null,
      asns: [1, 4294967295],
      contacts: { phone: '+84 24 3823 0000' },
      category: 'commune',
      version: 2,
    });
    unitA.version = 2;
    await api('patch', `/units/${unitA.id}`, admin)
      .send({ version: 1, category: 'agency' })
      .expect(status(409));
    await api('patch', `/units/${unitA.id}`, admin)
      .send({ version: 2, asns: [0] })
      .expect(status(400));
    await api('patch', `/units/${unitA.id}`, analyst).send({ version: 2 }).expect(status(403));
  });

  it('adds and removes networks, refusing overlaps', async () => {
    const added = await api('post', `/units/${unitA.id}/networks`, admin)
      .send({ networks: [v4(4)] })
      .expect(status(200));
    expect(added.body.networkCount).toBe(4);
    const res = await api('post', `/units/${unitA.id}/networks`, admin)
      .send({ networks: [v4(4, '0/25')] })
      .expect(status(422));
    expect(reasons(res.body)['networks[0]']).toBe(
      `${v4(4, '0/25')} overlaps ${v4(4)} of unit ${unitA.shortCode}`,
    );
    const id = (added.body.networks as { id: string; network: string }[]).find(
      (n) => n.network === v4(4),
    )!.id;
    await api('delete', `/units/${unitA.id}/networks/${id}`, responder).expect(status(204));
    await api('delete', `/units/${unitA.id}/networks/${id}`, responder).expect(status(404));
    // Freed: another unit may take it now.
    await api('post', `/units/${unitB.id}/networks`, admin)
      .send({ networks: [v4(4, '0/25')] })
      .expect(status(200));
  });

  it('imports units from CSV, all or nothing', async () => {
    const header = 'short_code,name,category,district,email,phone,hotline,networks,asns';
    const [c1, c2, c3] = [code(), code(), code()];
    const bad = [
      header,
      `${c1},Xã Một,commune,Huyện A,a@x.example,,,${v4(40)} ${v6(40)},AS45899 7552`,
      `${c2},Xã Hai,village,,,,,${v4(41)},`,
      `${c3},"Cơ quan, Ba",agency,,not-an-email,,,${v4(40, '128/25')},`,
      `${c1},Xã Một again,commune,,,,,,`,
      `${code()},Overlaps A,office,,,,,${v4(1, '0/26')},`,
    ].join('\r\n');
    const refused = await request(t.server)
      .post('/api/v1/units/import')
      .set('authorization', `Bearer ${admin}`)
      .set('content-type', 'text/csv')
      .send(bad)
      .expect(status(422));
    const r = reasons(refused.body);
    expect(r['rows[1].category']).toMatch(/commune, office, agency/);
    expect(r['rows[2].email']).toBe('email must be an email');
    expect(r['rows[2].networks']).toMatch(
      /overlaps .* \(rows\[0\]\.networks\) of the same request/,
    );
    expect(r['rows[3].short_code']).toMatch(/repeats row 0/);
    expect(r['rows[4].networks']).toBe(
      `${v4(1, '0/26')} overlaps ${v4(1)} of unit ${unitA.shortCode}`,
    );
    expect(await unitCount(c1)).toBe(0);

    const good = [
      header,
      `${c1},Xã Một,commune,Huyện A,a@x.example,0237 3852 000,,${v4(40)} ${v6(40)},AS45899 7552`,
      `${c2},"Cơ quan, Hai",agency,,,,,,`,
    ].join('\r\n');
    const ok = await request(t.server)
      .post('/api/v1/units/import')
      .set('authorization', `Bearer ${responder}`)
      .set('content-type', 'text/csv')
      .send(good)
      .expect(status(201));
    expect(ok.body).toEqual({ units: 2, networks: 2 });
    const list = await api('get', `/units?q=${c1}`, analyst).expect(status(200));
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0]).toMatchObject({
      shortCode: c1,
      category: 'commune',
      district: 'Huyện A',
      asns: [45899, 7552],
      networkCount: 2,
      contacts: { email: 'a@x.example', phone: '0237 3852 000' },
    });
    // The same file again: every short code is taken now.
    const again = await request(t.server)
      .post('/api/v1/units/import')
      .set('authorization', `Bearer ${responder}`)
      .set('content-type', 'text/csv')
      .send(good)
      .expect(status(422));
    expect(reasons(again.body)['rows[1].short_code']).toMatch(/exists already/);
    await request(t.server)
      .post('/api/v1/units/import')
      .set('authorization', `Bearer ${responder}`)
      .set('content-type', 'application/json')
      .send('{}')
      .expect(status(415));
    const wrongHeader = await request(t.server)
      .post('/api/v1/units/import')
      .set('authorization', `Bearer ${responder}`)
      .set('content-type', 'text/csv')
      .send('short_code,name\r\nX-1,Y\r\n')
      .expect(status(400));
    expect(wrongHeader.body['invalid-params'][0].name).toBe('header');
  });

  it('lists and filters units; a unit officer (made through POST /users) sees only their own', async () => {
    const officer = await api('post', '/users', admin)
      .send({
        organizationId: unitA.id,
        email: `officer-${randomBytes(4).toString('hex')}@unit.example`,
        name: 'Unit officer',
        roles: ['unit_officer'],
        password: 'a-long-enough-password-1',
      })
      .expect(status(201));
    const login = await request(t.server)
      .post('/api/v1/auth/login')
      .send({ email: officer.body.email, password: 'a-long-enough-password-1' })
      .expect(status(200));
    const token = login.body.access_token as string;
    const mine = await api('get', '/units?limit=200', token).expect(status(200));
    expect(mine.body.items.map((u: { id: string }) => u.id)).toEqual([unitA.id]);
    await api('get', `/units/${unitA.id}`, token).expect(status(200));
    await api('get', `/units/${unitB.id}`, token).expect(status(404));
    await api('patch', `/units/${unitA.id}`, token).send({ version: 2 }).expect(status(403));
    await api('post', '/connections', token).send({ rows: [] }).expect(status(403));
    await api('post', '/users', admin)
      .send({
        organizationId: unitA.id,
        email: `wrong-${randomBytes(4).toString('hex')}@unit.example`,
        name: 'Not an analyst here',
        roles: ['analyst'],
        password: 'a-long-enough-password-1',
      })
      .expect(status(400));

    const all = await api('get', '/units?category=office&limit=200', analyst).expect(status(200));
    expect(all.body.items.map((u: { id: string }) => u.id)).toContain(unitB.id);
    expect(all.body.items.every((u: { category: string }) => u.category === 'office')).toBe(true);
    const page = await api('get', '/units?limit=1', analyst).expect(status(200));
    expect(page.body.items).toHaveLength(1);
    expect(page.body.nextCursor).toEqual(expect.any(String));
    const next = await api('get', `/units?limit=1&cursor=${page.body.nextCursor}`, analyst).expect(
      status(200),
    );
    expect(next.body.items[0].id).not.toBe(page.body.items[0].id);
  });

  describe('connections', () => {
    let c2: string;
    let indicatorId: string;
    const at = (hoursAgo: number): string =>
      new Date(clock.now().getTime() - hoursAgo * HOUR).toISOString();

    beforeAll(async () => {
      c2 = unprotected.domain();
      const res = await api('post', '/indicators', analyst).send({ value: c2 }).expect(status(201));
      indicatorId = res.body.id as string;
    });

    it('matches JSON rows to units by network (IPv4 and IPv6), aggregates, counts the unmatched', async () => {
      const res = await api('post', '/connections', ispToken)
        .send({
          rows: [
            { time: at(3), address: `45.${x}.1.9`, c2: c2.toUpperCase(), count: 5 },
            { time: at(1), address: `45.${x}.1.9`, c2 },
            { time: at(2), address: `45.${x}.2.7`, c2: 'http://other-c2.com/x', count: 2 },
            { time: at(2), address: `2A0F:${v6p}:1::5`, c2, count: 7 },
            { time: at(2), address: `45.${x}.20.1`, c2 },
            { time: at(2), address: '46.0.0.1', c2 },
            { time: at(2), address: `2a0f:${v6p}:99::1`, c2 },
          ],
        })
        .expect(status(200));
      expect(res.body).toEqual({ rows: 7, matched: 5, unmatched: 2, units: 2, addresses: 4 });
      expect(recorded).toHaveLength(1);
      const byAddress = Object.fromEntries(
        recorded[0].connections.map((c) => [`${c.address} ${c.c2Value}`, c]),
      );
      expect(byAddress[`45.${x}.1.9/32 ${c2}`]).toEqual({
        unitId: unitA.id,
        unitNetwork: v4(1),
        address: `45.${x}.1.9/32`,
        c2Type: 'domain',
        c2Value: c2,
        indicatorId,
        count: 6,
        firstSeen: new Date(at(3)),
        lastSeen: new Date(at(1)),
      });
      expect(byAddress[`45.${x}.2.7/32 http://other-c2.com/x`]).toMatchObject({
        unitId: unitA.id,
        unitNetwork: `45.${x}.2.7/32`,
        c2Type: 'url',
        indicatorId: null,
        count: 2,
      });
      expect(byAddress[`2a0f:${v6p}:1::5/128 ${c2}`]).toMatchObject({
        unitId: unitA.id,
        unitNetwork: v6(1),
        count: 7,
      });
      expect(byAddress[`45.${x}.20.1/32 ${c2}`]).toMatchObject({ unitId: unitB.id, count: 1 });
      expect(recorded[0].connections).toHaveLength(4);
      await t.sealAudit();
      const [event] = await db.query<{ summary: Record<string, number> }[]>(
        `SELECT summary FROM audit_events WHERE action = 'connection.report' ORDER BY at DESC, id DESC LIMIT 1`,
      );
      expect(event.summary).toMatchObject({ rows: 7, matched: 5, unmatched: 2, units: 2 });
    });

    it('takes the same rows as CSV', async () => {
      const csv = [
        'time,address,c2,count',
        `${at(2)},45.${x}.1.10,${c2},3`,
        `${at(2)},2a0f:${v6p}:1::6,"${c2}",`,
        `${at(2)},8.8.8.8,${c2},1`,
        // The same host written as an IPv4-mapped IPv6 address: one address, not two.
        `${at(2)},::ffff:45.${x}.1.10,${c2},2`,
      ].join('\r\n');
      const res = await api('post', '/connections', responder)
        .set('content-type', 'text/csv')
        .send(csv)
        .expect(status(200));
      expect(res.body).toEqual({ rows: 4, matched: 3, unmatched: 1, units: 1, addresses: 2 });
      expect(recorded[0].connections.map((c) => [c.address, c.count]).sort()).toEqual([
        [`2a0f:${v6p}:1::6/128`, 1],
        [`45.${x}.1.10/32`, 5],
      ]);
    });

    it('matches a network added a moment ago (the matcher follows the networks)', async () => {
      const row = { time: at(1), address: `45.${x}.50.1`, c2 };
      const before = await api('post', '/connections', ispToken)
        .send({ rows: [row] })
        .expect(status(200));
      expect(before.body.matched).toBe(0);
      await api('post', `/units/${unitB.id}/networks`, admin)
        .send({ networks: [v4(50)] })
        .expect(status(200));
      const after = await api('post', '/connections', ispToken)
        .send({ rows: [row] })
        .expect(status(200));
      expect(after.body).toMatchObject({ matched: 1, units: 1 });
      expect(recorded.at(-1)?.connections[0]).toMatchObject({
        unitId: unitB.id,
        unitNetwork: v4(50),
      });
    });

    it('refuses bad rows, naming each (nothing recorded)', async () => {
      const res = await api('post', '/connections', ispToken)
        .send({
          rows: [
            { time: new Date(clock.now().getTime() + HOUR).toISOString(), address: '1.2.3.4', c2 },
            { time: at(24 * 91), address: '1.2.3.4', c2 },
            { time: '2026-12-01', address: '1.2.3', c2 },
            { time: at(1), address: '1.2.3.4', c2: '', count: 0 },
            { time: at(1), address: '1.2.3.4', c2, count: 1e10, extra: 1 },
          ],
        })
        .expect(status(400));
      expect(Object.keys(reasons(res.body)).sort()).toEqual([
        'rows[0].time',
        'rows[1].time',
        'rows[2].address',
        'rows[2].time',
        'rows[3].c2',
        'rows[3].count',
        'rows[4].count',
        'rows[4].extra',
      ]);
      await api('post', '/connections', ispToken)
        .send({ rows: [{ time: at(1), address: '1.2.3.4', c2, count: 1e10 }] })
        .expect(status(400));
      await api('post', '/connections', ispToken).send({ rows: [] }).expect(status(400));
      await api('post', '/connections', ispToken).send([]).expect(status(400));
      await api('post', '/connections', ispToken)
        .set('content-type', 'text/csv')
        .send('when,address\r\n')
        .expect(status(400));
      await api('post', '/connections', ispToken)
        .set('content-type', 'text/plain')
        .send('x')
        .expect(status(415));
      expect(recorded).toHaveLength(0);
    });

    it('bounds the rows (50,000) and the body (CONNECTIONS_BODY_LIMIT_BYTES): 413', async () => {
      const row = { time: at(1), address: '46.0.0.1', c2: 'a.example' };
      const tooMany = await api('post', '/connections', ispToken)
        .send({ rows: Array.from({ length: 50_001 }, () => row) })
        .expect(status(413));
      expect(tooMany.body.limit).toBe('connection-rows');
      // Hundreds of thousands of tiny values are refused before they are parsed into objects:
      // the body is not even well-formed JSON, which parsing would answer with a 400.
      const tiny = await api('post', '/connections', ispToken)
        .set('content-type', 'application/json')
        .send(`{"rows":[${'{},'.repeat(600_000)}{}]`)
        .expect(status(413));
      expect(tiny.body.limit).toBe('connection-rows');
      const big = await api('post', '/connections', ispToken)
        .set('content-type', 'text/csv')
        .send(
          `time,address,c2\r\n${`${at(1)},46.0.0.1,${'a'.repeat(200)}.example\r\n`.repeat(40_000)}`,
        )
        .expect(status(413));
      expect(big.body.limit).toBe('connections-body-bytes');
    });

    it('matches sightings with a network to units (the SightingsObserver)', async () => {
      const observer = t.app.get(SightingsObserver);
      const reporter = { kind: 'user', id: unitA.id } as Principal;
      await db.transaction((manager) =>
        observer.recorded(manager, reporter, [
          {
            id: 's1',
            indicatorId,
            indicatorType: 'domain',
            indicatorValue: c2,
            network: v4(1, '0/26'),
            count: 4,
            firstSeen: new Date(at(2)),
            lastSeen: new Date(at(1)),
          },
          { ...sighting(), network: null },
          { ...sighting(), network: '46.0.0.0/24' },
          { ...sighting(), network: `45.${x}.0.0/16` },
        ]),
      );
      expect(recorded).toHaveLength(1);
      expect(recorded[0].connections).toEqual([
        {
          unitId: unitA.id,
          unitNetwork: v4(1),
          address: v4(1, '0/26'),
          c2Type: 'domain',
          c2Value: c2,
          indicatorId,
          count: 4,
          firstSeen: new Date(at(2)),
          lastSeen: new Date(at(1)),
        },
      ]);
      function sighting() {
        return {
          id: 's',
          indicatorId,
          indicatorType: 'domain',
          indicatorValue: c2,
          count: 1,
          firstSeen: new Date(at(2)),
          lastSeen: new Date(at(1)),
        };
      }
    });
  });
});
