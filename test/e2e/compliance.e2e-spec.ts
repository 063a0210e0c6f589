import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse } from 'csv-parse/sync';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ASSIGNMENT_STATUSES } from '#src/obligations/assignments/assignment.entity.js';
import { isOverdue, overdueSql } from '#src/obligations/assignments/assignment-status.js';
import { ManualClock } from '#src/platform/clock/clock.js';
import type { IspCompliance } from '#src/obligations/compliance/dto/compliance.dto.js';
import { FeedWriter } from '#src/feeds/change-log/feed-writer.js';
import type { OrganizationEntity } from '#src/identity/organizations/organization.entity.js';
import { AssignmentFixtures } from '#test/support/assignment-fixtures.js';
import { Factories } from '#test/support/factories.js';
import { isp as ispWithToken, status } from '#test/support/requests.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const at = (iso: string): Date => new Date(iso);
const plus = (d: Date, seconds: number): Date => new Date(d.getTime() + seconds * 1000);

const FROM = '2002-02-01T00:00:00.000Z';
const TO = '2002-03-01T00:00:00.000Z';
const WINDOW = `from=${FROM}&to=${TO}`;
const REASON_A = 'Our resolvers cannot block URLs, "only" names;\nwe need a proxy';
const REASON_B = '=HYPERLINK("http://evil.example")';

/**
 * The compliance report over a small world written with SQL at known times (in 2002, before
 * anything other tests sharing the database publish): every figure of the JSON and the CSV.
 */
describe('compliance report', () => {
  let t: TestApp;
  const clock = new ManualClock(at('2002-03-15T00:00:00Z'));
  let make: Factories;
  let token: { analyst: string; auditor: string; admin: string; approver: string; isp: string };
  let ispA: OrganizationEntity;
  let ispB: OrganizationEntity;
  let ispD: OrganizationEntity;
  let ispE: OrganizationEntity;
  let ispC: { org: OrganizationEntity; token: string };
  const docs: Record<string, string> = {};
  const ids: Record<string, string> = {};
  let versionsA: number[];
  let versionsB: number[];
  let heldByC: number;

  const get = (path: string, who: string = token.analyst) =>
    request(t.server).get(`/api/v1/${path}`).set('authorization', `Bearer ${who}`);
  const rowOf = (isps: IspCompliance[], org: { id: string }): IspCompliance => {
    const row = isps.find((i) => i.organization.id === org.id);
    if (!row) throw new Error(`no row for ${org.id}`);
    return row;
  };

  beforeAll(async () => {
    t = await createTestApp({ clock });
    make = new Factories(t.app);
    const db = t.app.get(DataSource);
    const dept = await make.organization('department');
    const user = await make.user(dept, ['analyst']);
    const fixtures = new AssignmentFixtures(db, t.app.get(FeedWriter), {
      organizationId: dept.id,
      userId: user.id,
    });
    token = {
      analyst: (await make.loginAs('analyst')).token,
      auditor: (await make.loginAs('auditor')).token,
      admin: (await make.loginAs('admin')).token,
      approver: (await make.loginAs('approver')).token,
      isp: (await make.loginAs('isp_client')).token,
    };
    [ispA, ispB, ispD, ispE] = [
      await make.organization('isp', { name: 'Alpha Telecom, "North"' }),
      await make.organization('isp'),
      await make.organization('isp'),
      await make.organization('isp'),
    ];
    ispC = await ispWithToken(t.app);
    const A = ispA.id;
    const B = ispB.id;
    const E = ispE.id;

    /** A request published at `published` for `targets`, deadline 24 h later unless given. */
    const publish = async (key: string, published: Date, targets: string[], deadline?: Date) => {
      const r = await fixtures.request({
        publishedAt: published,
        deadlineAt: deadline ?? new Date(published.getTime() + DAY),
        targets,
        documentNumber: `${key}-${Math.random().toString(36).slice(2, 8)}/STTTT`,
      });
      docs[key] = r.documentNumber;
      ids[key] = r.id;
      return { id: r.id, deadline: deadline ?? new Date(published.getTime() + DAY) };
    };
    const assign = async (
      key: string,
      req: { id: string; deadline: Date },
      organizationId: string,
      state: Omit<
        Parameters<typeof fixtures.assignment>[0],
        'requestId' | 'organizationId' | 'deadlineAt'
      >,
    ) => {
      ids[key] = await fixtures.assignment({
        requestId: req.id,
        organizationId,
        deadlineAt: req.deadline,
        ...state,
      });
      return ids[key];
    };

    const P = [10, 11, 12, 13, 14, 15].map((d) => at(`2002-02-${d}T00:00:00Z`));
    const r1 = await publish('R1', P[0], [A, B]);
    const r2 = await publish('R2', P[1], [A, B]);
    const r3 = await publish('R3', P[2], [A]);
    const r4 = await publish('R4', P[3], [A]);
    const r5 = await publish('R5', P[4], [A]);
    const r6 = await publish('R6', P[5], [A], at('2002-04-01T00:00:00Z'));
    const r7 = await publish('R7', P[5], [A]);
    const r10 = await publish('R10', at(FROM), [A]);
    const r8 = await publish('R8', P[5], [E]);
    const r9 = await publish('R9', P[5], [E]);
    // Outside the window: just before `from`, and exactly at `to` (exclusive).
    const before = await publish('before', at('2002-01-31T23:59:59.999Z'), [A, B]);
    const atTo = await publish('atTo', at(TO), [A, B]);

    /** An assignment closed by one application confirmed at closedAt (as the API writes it). */
    const applied = async (
      key: string,
      req: { id: string; deadline: Date },
      organizationId: string,
      state: {
        status: 'applied' | 'partially_applied';
        acknowledgedAt: Date;
        appliedAt: Date;
        closedAt: Date;
      },
    ) => {
      const id = await assign(key, req, organizationId, state);
      await fixtures.confirmation({
        assignmentId: id,
        organizationId,
        status: state.status,
        appliedAt: state.appliedAt,
        createdAt: state.closedAt,
      });
    };
    // A: applied on time (ack 600 s, applied 3600 s after publication).
    await applied('a1', r1, A, {
      status: 'applied',
      acknowledgedAt: plus(P[0], 600),
      appliedAt: plus(P[0], 3600),
      closedAt: plus(P[0], 3700),
    });
    // A: partially applied, confirmed 30 h after publication (6 h late).
    await applied('a2', r2, A, {
      status: 'partially_applied',
      acknowledgedAt: plus(P[1], 1200),
      appliedAt: plus(P[1], 7200),
      closedAt: plus(P[1], 30 * 3600),
    });
    await applied('a3', r3, A, {
      status: 'applied',
      acknowledgedAt: plus(P[2], 1800),
      appliedAt: plus(P[2], 10800),
      closedAt: plus(P[2], 10900),
    });
    // A: rejected with a reason (first applied by mistake, then corrected: the latest counts).
    const a4 = await assign('a4', r4, A, {
      status: 'rejected',
      acknowledgedAt: plus(P[3], 50),
      closedAt: plus(P[3], 50),
    });
    await fixtures.confirmation({
      assignmentId: a4,
      organizationId: A,
      status: 'applied',
      appliedAt: plus(P[3], 40),
      createdAt: plus(P[3], 50),
    });
    await fixtures.confirmation({
      assignmentId: a4,
      organizationId: A,
      status: 'rejected',
      reason: REASON_A,
      createdAt: plus(P[3], 100),
    });
    // A: open and past its deadline; open with a deadline after the clock; withdrawn.
    await assign('a5', r5, A, { status: 'pending' });
    await assign('a6', r6, A, { status: 'acknowledged', acknowledgedAt: plus(P[5], 300) });
    await assign('a7', r7, A, { status: 'withdrawn' });
    // A: published exactly at `from` (inclusive), applied within a minute.
    await applied('a10', r10, A, {
      status: 'applied',
      acknowledgedAt: plus(at(FROM), 60),
      appliedAt: plus(at(FROM), 60),
      closedAt: plus(at(FROM), 60),
    });
    for (const [key, r] of [
      ['outA1', before],
      ['outA2', atTo],
    ] as const) {
      await assign(key, r, A, { status: 'rejected', closedAt: plus(r.deadline, -3600) });
    }
    await assign('outB1', before, B, { status: 'pending' });
    await assign('outB2', atTo, B, { status: 'applied', appliedAt: at(TO), closedAt: at(TO) });

    // B: rejected (a formula as reason), and one overdue.
    const b1 = await assign('b1', r1, B, {
      status: 'rejected',
      acknowledgedAt: plus(P[0], 7200),
      closedAt: plus(P[0], 7200),
    });
    await fixtures.confirmation({
      assignmentId: b1,
      organizationId: B,
      status: 'rejected',
      reason: REASON_B,
      createdAt: plus(P[0], 7200),
    });
    await assign('b2', r2, B, { status: 'pending' });

    // E: corrections. e1 rejected on time (closed_at stays there), then applied late: not on
    // time. e2 applied on time, then corrected to partially applied late: on time (the first
    // application counts); its time to apply is the latest confirmation's applied_at.
    const e1 = await assign('e1', r8, E, {
      status: 'applied',
      acknowledgedAt: plus(P[5], 100),
      appliedAt: plus(P[5], 29 * 3600),
      closedAt: plus(P[5], 100),
    });
    await fixtures.confirmation({
      assignmentId: e1,
      organizationId: E,
      status: 'rejected',
      reason: 'not yet',
      createdAt: plus(P[5], 100),
    });
    await fixtures.confirmation({
      assignmentId: e1,
      organizationId: E,
      status: 'applied',
      appliedAt: plus(P[5], 29 * 3600),
      createdAt: plus(P[5], 30 * 3600),
    });
    const e2 = await assign('e2', r9, E, {
      status: 'partially_applied',
      acknowledgedAt: plus(P[5], 100),
      appliedAt: plus(P[5], 3000),
      closedAt: plus(P[5], 3600),
    });
    await fixtures.confirmation({
      assignmentId: e2,
      organizationId: E,
      status: 'applied',
      appliedAt: plus(P[5], 3500),
      createdAt: plus(P[5], 3600),
    });
    await fixtures.confirmation({
      assignmentId: e2,
      organizationId: E,
      status: 'partially_applied',
      appliedAt: plus(P[5], 3000),
      createdAt: plus(P[5], 40 * 3600),
    });

    // Feeds: A has 5 changes, pulled up to its 4th, then re-synced to its 2nd (latest pull).
    versionsA = await fixtures.feedChanges(A, 5);
    versionsB = await fixtures.feedChanges(B, 3);
    await fixtures.pull(A, versionsA[3], at('2002-02-20T10:00:00Z'));
    await fixtures.pull(A, versionsA[1], at('2002-02-25T10:00:00Z'));
    // C pulls over HTTP just before the report: the buffered telemetry is flushed first.
    const pulled = await request(t.server)
      .get('/api/v1/feed/changes?after=0')
      .set('authorization', `Bearer ${ispC.token}`)
      .expect(status(200));
    heldByC = pulled.body.next as number;
  });
  afterAll(async () => {
    await t.close();
  });

  it('gives every figure per ISP over the requests published in [from, to)', async () => {
    const res = await get(`compliance?${WINDOW}`).expect(status(200));
    expect(res.body).toMatchObject({ from: FROM, to: TO, generatedAt: '2002-03-15T00:00:00.000Z' });
    const isps = res.body.isps as IspCompliance[];
    expect(rowOf(isps, ispA)).toEqual({
      organization: { id: ispA.id, name: 'Alpha Telecom, "North"', shortCode: ispA.shortCode },
      assignments: 8,
      applied: 3,
      partiallyApplied: 1,
      rejected: 1,
      open: 2,
      overdue: 1,
      overdueAssignments: [
        {
          assignmentId: ids.a5,
          requestId: ids.R5,
          documentNumber: docs.R5,
          deadlineAt: '2002-02-15T00:00:00.000Z',
        },
      ],
      withdrawn: 1,
      // Of a1, a2, a3, a4, a10 (closed) and a5 (past its deadline): a1, a3, a10.
      onTime: 3,
      onTimePercent: 50,
      // percentile_cont over [60, 3600, 7200, 10800] s.
      medianSecondsToApply: 5400,
      p90SecondsToApply: 9720,
      // percentile_cont over [50, 60, 300, 600, 1200, 1800] s.
      medianSecondsToAcknowledge: 450,
      rejections: [
        {
          assignmentId: ids.a4,
          requestId: ids.R4,
          documentNumber: docs.R4,
          reason: REASON_A,
          at: '2002-02-13T00:01:40.000Z',
        },
      ],
      lastPullAt: '2002-02-25T10:00:00.000Z',
      versionHeld: versionsA[3],
      currentVersion: versionsA[4],
      versionLag: 1,
    });
    expect(rowOf(isps, ispB)).toEqual({
      organization: { id: ispB.id, name: ispB.name, shortCode: ispB.shortCode },
      assignments: 2,
      applied: 0,
      partiallyApplied: 0,
      rejected: 1,
      open: 1,
      overdue: 1,
      overdueAssignments: [
        {
          assignmentId: ids.b2,
          requestId: ids.R2,
          documentNumber: docs.R2,
          deadlineAt: '2002-02-12T00:00:00.000Z',
        },
      ],
      withdrawn: 0,
      onTime: 0,
      onTimePercent: 0,
      medianSecondsToApply: null,
      p90SecondsToApply: null,
      medianSecondsToAcknowledge: 7200,
      rejections: [
        {
          assignmentId: ids.b1,
          requestId: ids.R1,
          documentNumber: docs.R1,
          reason: REASON_B,
          at: '2002-02-10T02:00:00.000Z',
        },
      ],
      lastPullAt: null,
      versionHeld: null,
      currentVersion: versionsB[2],
      versionLag: 3,
    });
    const zeros = {
      assignments: 0,
      applied: 0,
      partiallyApplied: 0,
      rejected: 0,
      open: 0,
      overdue: 0,
      overdueAssignments: [],
      withdrawn: 0,
      onTime: 0,
      onTimePercent: null,
      medianSecondsToApply: null,
      p90SecondsToApply: null,
      medianSecondsToAcknowledge: null,
      rejections: [],
      currentVersion: null,
      versionLag: 0,
    };
    expect(rowOf(isps, ispD)).toEqual({
      organization: { id: ispD.id, name: ispD.name, shortCode: ispD.shortCode },
      ...zeros,
      lastPullAt: null,
      versionHeld: null,
    });
    // On time is the first application's confirmation, not the first close (a rejection).
    expect(rowOf(isps, ispE)).toMatchObject({
      assignments: 2,
      applied: 1,
      partiallyApplied: 1,
      rejected: 0,
      onTime: 1,
      onTimePercent: 50,
      // percentile_cont over the latest applied_at: [3000, 104400] s.
      medianSecondsToApply: 53700,
      rejections: [],
    });
    const c = rowOf(isps, ispC.org);
    expect(c).toMatchObject({ ...zeros, versionHeld: heldByC });
    expect(c.lastPullAt).not.toBeNull();
    // Every ISP, and no other kind of organization (other tests add ISPs meanwhile).
    const ispCount = async () =>
      (
        await t.app
          .get(DataSource)
          .query<{ n: number }[]>(`SELECT count(*)::int AS n FROM organizations WHERE kind = 'isp'`)
      )[0].n;
    const least = await ispCount();
    const all = (await get(`compliance?${WINDOW}`).expect(200)).body.isps as IspCompliance[];
    const most = await ispCount();
    expect(all.length).toBeGreaterThanOrEqual(least);
    expect(all.length).toBeLessThanOrEqual(most);
    expect(new Set(all.map((i) => i.organization.id)).size).toBe(all.length);
  });

  it('computes overdue at read time: moving the clock changes it without any write', async () => {
    const before = rowOf((await get(`compliance?${WINDOW}`).expect(200)).body.isps, ispA);
    expect(before).toMatchObject({ open: 2, overdue: 1, onTime: 3, onTimePercent: 50 });
    clock.set(at('2002-04-01T00:00:00.001Z'));
    try {
      const after = rowOf((await get(`compliance?${WINDOW}`).expect(200)).body.isps, ispA);
      // a6's deadline (2002-04-01T00:00:00Z) has passed: 3 on time out of 7.
      expect(after).toMatchObject({ open: 2, overdue: 2, onTime: 3, onTimePercent: 42.9 });
      expect(after.overdueAssignments.map((o) => o.assignmentId)).toEqual([ids.a5, ids.a6]);
      clock.set(at('2002-04-01T00:00:00.000Z'));
      const atDeadline = rowOf((await get(`compliance?${WINDOW}`).expect(200)).body.isps, ispA);
      expect(atDeadline).toMatchObject({ overdue: 1, onTimePercent: 50 });
      expect(atDeadline.overdueAssignments.map((o) => o.assignmentId)).toEqual([ids.a5]);
    } finally {
      clock.set(at('2002-03-15T00:00:00Z'));
    }
  });

  it('defaults to the 30 days before now', async () => {
    const res = await get('compliance').expect(status(200));
    expect(res.body).toMatchObject({
      from: '2002-02-13T00:00:00.000Z',
      to: '2002-03-15T00:00:00.000Z',
    });
    // R4 (published 02-13, inclusive), R5, R6, R7, and the one published at 03-01.
    expect(rowOf(res.body.isps as IspCompliance[], ispA)).toMatchObject({
      assignments: 5,
      rejected: 2,
      open: 2,
      withdrawn: 1,
    });

    // The longest window: 366 days.
    await get('compliance?from=2002-01-01&to=2003-01-02').expect(status(200));
    const onlyFrom = await get('compliance?from=2002-02-14').expect(status(200));
    expect(onlyFrom.body).toMatchObject({
      from: '2002-02-14T00:00:00.000Z',
      to: '2002-03-15T00:00:00.000Z',
    });
  });

  it('gives the same figures as CSV (RFC 4180, one row per ISP, optional BOM)', async () => {
    const res = await get(`compliance.csv?${WINDOW}`).expect(status(200));
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
    expect(res.headers['content-disposition']).toBe(
      'attachment; filename="compliance-2002-02-01T000000Z-2002-03-01T000000Z.csv"',
    );
    const text = res.text;
    expect(text.charCodeAt(0)).not.toBe(0xfeff);
    expect(text.endsWith('\r\n')).toBe(true);
    const header =
      'organization_id,short_code,name,assignments,applied,partially_applied,rejected,open,overdue,overdue_documents,withdrawn,on_time,on_time_percent,median_seconds_to_apply,p90_seconds_to_apply,median_seconds_to_acknowledge,rejections,rejection_reasons,last_pull_at,version_held,current_version,version_lag';
    expect(text.split('\r\n')[0]).toBe(header);
    // Quoting per RFC 4180: the comma and quotes in the name, the newline in the reason.
    expect(text).toContain(
      `${ispA.id},${ispA.shortCode},"Alpha Telecom, ""North""",8,3,1,1,2,1,${docs.R5},1,3,50,5400,9720,450,1,"${docs.R4}: Our resolvers cannot block URLs, ""only"" names;\nwe need a proxy",2002-02-25T10:00:00.000Z,${versionsA[3]},${versionsA[4]},1\r\n`,
    );
    const records = parse<Record<string, string>>(text, { columns: true });
    const byId = new Map(records.map((r) => [r.organization_id, r]));
    expect(records).toHaveLength((await get(`compliance?${WINDOW}`)).body.isps.length as number);
    expect(byId.get(ispB.id)).toEqual({
      organization_id: ispB.id,
      short_code: ispB.shortCode,
      name: ispB.name,
      assignments: '2',
      applied: '0',
      partially_applied: '0',
      rejected: '1',
      open: '1',
      overdue: '1',
      overdue_documents: docs.R2,
      withdrawn: '0',
      on_time: '0',
      on_time_percent: '0',
      median_seconds_to_apply: '',
      p90_seconds_to_apply: '',
      median_seconds_to_acknowledge: '7200',
      rejections: '1',
      // Not run as a formula by a spreadsheet: the field starts with the document number.
      rejection_reasons: `${docs.R1}: ${REASON_B}`,
      last_pull_at: '',
      version_held: '',
      current_version: String(versionsB[2]),
      version_lag: '3',
    });
    expect(byId.get(ispD.id)).toMatchObject({
      assignments: '0',
      overdue_documents: '',
      on_time_percent: '',
      rejections: '0',
      rejection_reasons: '',
      version_lag: '0',
    });

    const bom = await get(`compliance.csv?${WINDOW}&bom=true`).expect(status(200));
    expect(bom.text.charCodeAt(0)).toBe(0xfeff);
    expect(bom.text.slice(1)).toBe(text);
  });

  it('answers the CSV on /compliance itself: format=csv, or Accept: text/csv', async () => {
    const alias = await get(`compliance.csv?${WINDOW}&bom=true`).expect(status(200));
    const csvHeaders = (res: request.Response) => ({
      type: res.headers['content-type'],
      disposition: res.headers['content-disposition'],
      cache: res.headers['cache-control'],
    });
    const asked = [
      get(`compliance?${WINDOW}&format=csv&bom=true`),
      get(`compliance?${WINDOW}&bom=true`).set('accept', 'text/csv'),
      get(`compliance?${WINDOW}&bom=true`).set('accept', 'application/json;q=0.5, text/csv'),
      get(`compliance?${WINDOW}&bom=true&format=csv`).set('accept', 'application/json'),
    ];
    for (const req of asked) {
      const res = await req.expect(status(200));
      expect(res.text).toBe(alias.text);
      expect(csvHeaders(res)).toEqual(csvHeaders(alias));
      expect(res.headers.vary).toMatch(/accept/i);
    }
    const json = [
      get(`compliance?${WINDOW}`),
      get(`compliance?${WINDOW}&format=json`).set('accept', 'text/csv'),
      get(`compliance?${WINDOW}`).set('accept', 'text/csv;q=0.5, application/json'),
      get(`compliance?${WINDOW}`).set('accept', 'text/html, */*;q=0.8'),
    ];
    for (const req of json) {
      const res = await req.expect(status(200));
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers.vary).toMatch(/accept/i);
      expect(rowOf(res.body.isps as IspCompliance[], ispA).assignments).toBe(8);
    }
    const bad = await get(`compliance?${WINDOW}&format=xml`).expect(status(400));
    expect(bad.body['invalid-params']).toEqual([
      { name: 'format', reason: 'format must be json or csv' },
    ]);
  });

  it('writes overdue exactly as isOverdue says, in SQL (overdueSql)', async () => {
    const now = at('2002-03-15T00:00:00Z');
    const deadlines = [plus(now, -0.001), now, plus(now, 0.001)];
    const cases = ASSIGNMENT_STATUSES.flatMap((s) => deadlines.map((d) => [s, d] as const));
    const rows = await t.app.get(DataSource).query<{ i: number; overdue: boolean }[]>(
      `SELECT a.i, ${overdueSql('a', '$3::timestamptz')} AS overdue
         FROM unnest($1::text[], $2::timestamptz[]) WITH ORDINALITY AS a(status, deadline_at, i)
        ORDER BY a.i`,
      [cases.map(([s]) => s), cases.map(([, d]) => d), now],
    );
    expect(rows.map((r) => r.overdue)).toEqual(cases.map(([s, d]) => isOverdue(s, d, now)));
    expect(rows.filter((r) => r.overdue)).toHaveLength(2);
  });

  it('neutralizes cells a spreadsheet would run as formulas', async () => {
    const evil = await make.organization('isp', { name: '=cmd|"/c calc"!A1' });
    const res = await get(`compliance.csv?${WINDOW}`).expect(status(200));
    const records = parse<Record<string, string>>(res.text, { columns: true });
    expect(records.find((r) => r.organization_id === evil.id)?.name).toBe(`'=cmd|"/c calc"!A1`);
    // The JSON keeps the name as it is.
    const json = await get(`compliance?${WINDOW}`).expect(200);
    expect(rowOf(json.body.isps, evil).organization.name).toBe('=cmd|"/c calc"!A1');
  });

  it('is for the Department and auditors: ISPs get 403', async () => {
    for (const who of [token.admin, token.approver, token.auditor]) {
      await get(`compliance?${WINDOW}`, who).expect(status(200));
      await get(`compliance.csv?${WINDOW}`, who).expect(status(200));
      await get(`compliance?${WINDOW}&format=csv`, who).expect(status(200));
    }
    for (const who of [token.isp, ispC.token]) {
      await get(`compliance?${WINDOW}`, who).expect(status(403));
      await get(`compliance.csv?${WINDOW}`, who).expect(status(403));
      await get(`compliance?${WINDOW}&format=csv`, who).expect(status(403));
    }
    await request(t.server).get('/api/v1/compliance').expect(401);
  });

  it.each([
    ['from=yesterday', 'from'],
    ['to=2002-13-01', 'to'],
    ['from=2002-02-30', 'from'],
    ['from=2002-02-01T00:00:00', 'from'],
    // Other ISO 8601 forms are refused, not read as something else (or a 500).
    ['from=2002-W05', 'from'],
    ['from=2002-032', 'from'],
    ['from=20020201', 'from'],
    ['from=2002-02-01T10:00:00,5Z', 'from'],
    ['to=2002-02-30T00:00:00Z', 'to'],
    [`from=${TO}&to=${FROM}`, 'from'],
    [`from=${FROM}&to=${FROM}`, 'from'],
    ['from=2002-01-01&to=2003-01-03', 'to'],
    ['from=2002-04-01', 'from'],
    ['colour=red', 'colour'],
  ])('refuses %s with a 400 problem naming %s', async (query, field) => {
    for (const path of ['compliance?', 'compliance.csv?', 'compliance?format=csv&']) {
      const res = await get(`${path}${query}`).expect(status(400));
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({
        status: 400,
        type: 'urn:threat-exchange:problem:validation',
      });
      expect((res.body['invalid-params'] as { name: string }[]).map((p) => p.name)).toEqual([
        field,
      ]);
    }
  });

  it('refuses a bom that is not true or false', async () => {
    const res = await get(`compliance.csv?${WINDOW}&bom=yes`).expect(status(400));
    expect(res.body['invalid-params']).toEqual([
      { name: 'bom', reason: 'bom must be true or false' },
    ]);
  });
});
