import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { DataSource } from 'typeorm';
import type { Principal } from '#src/identity/auth/principal.js';
import type { OrganizationEntity } from '#src/identity/organizations/organization.entity.js';
import { ManualClock } from '#src/platform/clock/clock.js';
import { CaseTracker, type MatchedConnection } from '#src/response/cases/case-tracker.js';
import { CaseScheduler } from '#src/response/cases/case.scheduler.js';
import { Factories } from '#test/support/factories.js';
import { pdfPages } from '#test/support/pdf-text.js';
import { status } from '#test/support/requests.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

const HOUR = 3_600_000;
/** Long before anything other tests write: the scheduler runs here touch only these cases. */
const START = new Date('2002-03-01T00:00:00.000Z');
const C2 = { c2Type: 'domain', c2Value: 'c2.botnet.example', indicatorId: null };

/** A binary body (supertest leaves application/pdf unparsed otherwise). */
function binary(res: request.Response, done: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => done(null, Buffer.concat(chunks)));
}

interface OutboxRow {
  topic: string;
  recipients: string[];
  payload: Record<string, unknown>;
}

/**
 * Cases of botnet connections, driven through the CaseTracker (as the sightings observer calls
 * it) and the scheduler by hand, with a clock the test moves: opening, merging, acknowledging,
 * remediation, reopening, quiet-period closing, reminders and escalation, what the unit and the
 * responders are told (outbox, mail outbox), tenant isolation between units, the published list.
 */
describe('unit cases', () => {
  let t: TestApp;
  const clock = new ManualClock(START);
  let db: DataSource;
  let make: Factories;
  let unitA: OrganizationEntity;
  let unitB: OrganizationEntity;
  let officerA: { token: string; email: string };
  let officerB: string;
  let responder: { token: string; email: string };
  let analyst: string;
  let reporter: Principal;
  let caseId: string;

  const api = (method: 'get' | 'post', path: string, token: string) =>
    request(t.server)[method](`/api/v1/${path}`).set('authorization', `Bearer ${token}`);
  const record = (connections: Omit<MatchedConnection, 'unitId' | 'unitNetwork'>[], unit = unitA) =>
    db.transaction((manager) =>
      t.app.get(CaseTracker).record(
        manager,
        reporter,
        connections.map((c) => ({ ...c, unitId: unit.id, unitNetwork: '10.0.0.0/16' })),
      ),
    );
  const seen = (hoursAgo: number, address: string, count = 1, c2 = C2) => ({
    address,
    ...c2,
    count,
    firstSeen: new Date(clock.now().getTime() - (hoursAgo + 1) * HOUR),
    lastSeen: new Date(clock.now().getTime() - hoursAgo * HOUR),
  });
  const outbox = (topic?: string): Promise<OutboxRow[]> =>
    db.query(
      `SELECT topic, recipients, payload FROM outbox WHERE aggregate_id = $1
          AND ($2::text IS NULL OR topic = $2) ORDER BY id`,
      [caseId, topic ?? null],
    );
  const mails = (
    topic: string,
  ): Promise<{ recipients: string[]; subject: string; body: string }[]> =>
    db.query(
      `SELECT recipients, subject, body FROM mail_outbox WHERE aggregate_id = $1 AND topic = $2 ORDER BY created_at, id`,
      [caseId, topic],
    );
  const row = async () =>
    (
      await db.query<
        { status: string; version: number; reopen_count: number; deadline_at: Date }[]
      >(`SELECT status, version, reopen_count, deadline_at FROM unit_cases WHERE id = $1`, [caseId])
    )[0];
  const login = async (org: OrganizationEntity, role: 'unit_officer') => {
    const user = await make.user(org, [role]);
    const res = await request(t.server)
      .post('/api/v1/auth/login')
      .send({ email: user.email, password: user.password })
      .expect(200);
    return { token: res.body.access_token as string, email: user.email.toLowerCase() };
  };
  const runScheduler = () => t.app.get(CaseScheduler).runOnce();

  beforeAll(async () => {
    t = await createTestApp({ clock, env: { RESPONSE_SCHEDULER_INTERVAL_S: '0' } });
    db = t.app.get(DataSource);
    make = new Factories(t.app);
    const code = Math.random().toString(36).slice(2, 8).toUpperCase();
    unitA = await make.organization('unit', { name: `UBND xã Tân Phú Đông ${code}` });
    unitB = await make.organization('unit');
    officerA = await login(unitA, 'unit_officer');
    officerB = (await login(unitB, 'unit_officer')).token;
    const r = await make.loginAs('responder');
    responder = { token: r.token, email: r.user.email.toLowerCase() };
    analyst = (await make.loginAs('analyst')).token;
    const isp = await make.organization('isp');
    const ispUser = await make.user(isp, ['isp_operator']);
    reporter = {
      kind: 'user',
      id: ispUser.id,
      organizationId: isp.id,
      organizationKind: 'isp',
      roles: ['isp_operator'],
      tokenId: 'test',
    };
  });
  afterAll(async () => {
    await t.close();
  });

  it('opens a case for the unit, aggregates its connections and tells the unit', async () => {
    await record([seen(2, '10.0.0.5/32', 3), seen(1, '10.0.0.6/32', 2), seen(1, '10.0.0.5/32', 1)]);
    const list = await api('get', `cases?unitId=${unitA.id}`, analyst).expect(status(200));
    expect(list.body.items).toHaveLength(1);
    const c = list.body.items[0];
    caseId = c.id;
    expect(c).toMatchObject({
      unitId: unitA.id,
      unitName: unitA.name,
      status: 'open',
      infectedAddresses: 2,
      c2Count: 1,
      connectionCount: 2,
      reopenCount: 0,
      deadlineAt: new Date(START.getTime() + 72 * HOUR).toISOString(),
      firstSeen: new Date(START.getTime() - 3 * HOUR).toISOString(),
      lastSeen: new Date(START.getTime() - HOUR).toISOString(),
    });
    const detail = await api('get', `cases/${caseId}`, officerA.token).expect(status(200));
    expect(detail.body.connectionsTruncated).toBe(false);
    expect(
      detail.body.connections.map((x: { address: string; count: number }) => [x.address, x.count]),
    ).toEqual(
      expect.arrayContaining([
        ['10.0.0.5/32', 4],
        ['10.0.0.6/32', 2],
      ]),
    );
    expect(detail.body.history).toEqual([
      expect.objectContaining({ fromStatus: null, toStatus: 'open', actorType: 'system' }),
    ]);
    const events = await outbox();
    expect(events).toEqual([
      expect.objectContaining({ topic: 'case.opened', recipients: [unitA.id] }),
    ]);
    expect(events[0].payload).toMatchObject({ caseId, infectedAddresses: 2, c2Count: 1 });
    const [mail] = await mails('case.opened');
    expect(mail.recipients).toEqual([officerA.email]);
    expect(mail.body).toContain('c2.botnet.example');
    expect(mail.body).toContain('Số địa chỉ nội bộ có kết nối: 2');
    expect(mail.body).toContain('Internal addresses with connections: 2');
    expect(mail.body.indexOf('Đề nghị đơn vị')).toBeLessThan(mail.body.indexOf('What to do'));
    expect(mail.body).toContain(`/api/v1/cases/${caseId}/acknowledge`);
  });

  it('merges a second report into the same case', async () => {
    await record([
      seen(0, '10.0.0.5/32', 5),
      seen(0, '10.0.0.7/32', 1, { c2Type: 'ipv4', c2Value: '203.0.113.9', indicatorId: null }),
    ]);
    const detail = await api('get', `cases/${caseId}`, analyst).expect(status(200));
    expect(detail.body).toMatchObject({ status: 'open', infectedAddresses: 3, c2Count: 2 });
    expect(detail.body.connections[0].lastSeen).toBe(START.toISOString());
    const five = detail.body.connections.find(
      (x: { address: string; c2Value: string }) =>
        x.address === '10.0.0.5/32' && x.c2Value === C2.c2Value,
    );
    expect(five.count).toBe(9);
    expect((await outbox()).map((e) => e.topic)).toEqual(['case.opened']);
    const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM unit_cases WHERE unit_id = $1`, [
      unitA.id,
    ]);
    expect(n).toBe(1);
    // Paged connections: most recently seen first, no row twice.
    const first = await api('get', `cases/${caseId}/connections?limit=2`, analyst).expect(
      status(200),
    );
    expect(first.body.items).toHaveLength(2);
    const second = await api(
      'get',
      `cases/${caseId}/connections?limit=2&cursor=${first.body.nextCursor}`,
      analyst,
    ).expect(status(200));
    expect(second.body.items).toHaveLength(1);
    expect(second.body.nextCursor).toBeNull();
  });

  it('hides a unit’s case from another unit (404) and lists only its own', async () => {
    await api('get', `cases/${caseId}`, officerB).expect(status(404));
    await api('get', `cases/${caseId}/connections`, officerB).expect(status(404));
    await api('post', `cases/${caseId}/acknowledge`, officerB)
      .send({ version: 1 })
      .expect(status(404));
    await api('post', `cases/${caseId}/remediation`, officerB)
      .send({ version: 1, summary: 'Không phải của chúng tôi', actions: [{ kind: 'other' }] })
      .expect(status(404));
    const listB = await api('get', 'cases', officerB).expect(status(200));
    expect(listB.body.items).toEqual([]);
    const listA = await api('get', `cases?unitId=${unitB.id}`, officerA.token).expect(status(200));
    expect(listA.body.items).toEqual([]);
    expect((await row()).status).toBe('open');
  });

  it('lets the unit’s officer acknowledge (version checked) and report remediation', async () => {
    const stale = await api('post', `cases/${caseId}/acknowledge`, officerA.token)
      .send({ version: 99 })
      .expect(status(409));
    expect(stale.headers['content-type']).toMatch(/application\/problem\+json/);
    const { version } = await row();
    const ack = await api('post', `cases/${caseId}/acknowledge`, officerA.token)
      .send({ version })
      .expect(status(200));
    expect(ack.body).toMatchObject({ status: 'acknowledged', version: version + 1 });
    expect(ack.body.acknowledgedBy.type).toBe('user');

    const bad = await api('post', `cases/${caseId}/remediation`, officerA.token)
      .send({ version: version + 1, summary: 'x', actions: [{ kind: 'prayed' }] })
      .expect(status(400));
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
    await api('post', `cases/${caseId}/remediation`, officerA.token)
      .send({ version: version + 1, summary: 'x', actions: [] })
      .expect(status(400));
    await api('post', `cases/${caseId}/remediation`, officerA.token)
      .send({ version: version + 1, summary: 'x'.repeat(4001), actions: [{ kind: 'other' }] })
      .expect(status(400));
    await api('post', `cases/${caseId}/remediation`, officerA.token)
      .send({ version, summary: 'Đã làm sạch', actions: [{ kind: 'cleaned' }] })
      .expect(status(409));

    clock.advance(HOUR);
    const done = await api('post', `cases/${caseId}/remediation`, officerA.token)
      .send({
        version: version + 1,
        summary: 'Đã làm sạch 3 máy, vá lỗi bộ định tuyến',
        actions: [{ kind: 'cleaned', detail: '3 PCs' }, { kind: 'patched' }],
      })
      .expect(status(200));
    expect(done.body).toMatchObject({ status: 'remediated' });
    expect(done.body.remediation.actions).toEqual([
      { kind: 'cleaned', detail: '3 PCs' },
      { kind: 'patched' },
    ]);
    const [mail] = await mails('case.remediate');
    expect(mail.recipients).toContain(responder.email);
    expect(mail.body).toContain('Đã làm sạch 3 máy');
    await t.sealAudit();
    const audit = await db.query<{ action: string }[]>(
      `SELECT action FROM audit_events WHERE object_type = 'unit_case' AND object_id = $1 ORDER BY seq`,
      [caseId],
    );
    expect(audit.map((a) => a.action)).toEqual(['case.open', 'case.acknowledge', 'case.remediate']);
  });

  it('sends a remediated case back to acknowledged on a connection seen after the report', async () => {
    clock.advance(HOUR);
    // Seen before the report: nothing changes.
    await record([seen(1.5, '10.0.0.8/32')]);
    expect((await row()).status).toBe('remediated');
    await record([seen(0, '10.0.0.8/32')]);
    const after = await row();
    expect(after).toMatchObject({ status: 'acknowledged', reopen_count: 0 });
    expect(after.deadline_at).toEqual(new Date(clock.now().getTime() + 72 * HOUR));
    const reopened = await outbox('case.reopened');
    expect(reopened).toHaveLength(1);
    const [history] = (await api('get', `cases/${caseId}`, analyst).expect(status(200))).body
      .history;
    expect(history).toMatchObject({
      fromStatus: 'remediated',
      toStatus: 'acknowledged',
      reason: 'new connection after remediation',
    });
  });

  it('closes a remediated case only after the quiet period', async () => {
    const { version } = await row();
    await api('post', `cases/${caseId}/remediation`, responder.token)
      .send({ version, summary: 'Cài đặt lại máy', actions: [{ kind: 'reimaged' }] })
      .expect(status(200));
    clock.advance(71 * HOUR);
    await runScheduler();
    expect((await row()).status).toBe('remediated');
    clock.advance(2 * HOUR);
    await runScheduler();
    expect((await row()).status).toBe('closed');
    expect(await outbox('case.closed')).toHaveLength(1);
    const closedMails = (await mails('case.closed')).flatMap((m) => m.recipients);
    expect(closedMails).toEqual(expect.arrayContaining([officerA.email, responder.email]));
    await runScheduler();
    expect(await outbox('case.closed')).toHaveLength(1);

    const closed = await api('post', `cases/${caseId}/remediation`, officerA.token)
      .send({ version: version + 2, summary: 'again', actions: [{ kind: 'other' }] })
      .expect(status(409));
    expect(closed.body.detail).toMatch(/closed/);
  });

  it('reopens the same case on a connection within the reopen window', async () => {
    clock.advance(5 * 24 * HOUR);
    await record([seen(0, '10.0.0.9/32', 2)]);
    expect(await row()).toMatchObject({ status: 'open', reopen_count: 1 });
    const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM unit_cases WHERE unit_id = $1`, [
      unitA.id,
    ]);
    expect(n).toBe(1);
    expect(await outbox('case.reopened')).toHaveLength(2);
    expect((await mails('case.reopened')).at(-1)!.recipients).toEqual([officerA.email]);
  });

  it('reminds before the deadline once, and escalates once past it', async () => {
    clock.advance(47 * HOUR);
    await runScheduler();
    expect(await outbox('case.reminder')).toHaveLength(0);
    clock.advance(2 * HOUR);
    await runScheduler();
    await runScheduler();
    expect(await outbox('case.reminder')).toHaveLength(1);
    expect(await outbox('case.overdue')).toHaveLength(0);
    clock.advance(24 * HOUR);
    await runScheduler();
    await runScheduler();
    const overdue = await outbox('case.overdue');
    expect(overdue).toEqual([expect.objectContaining({ recipients: [unitA.id] })]);
    const overdueMails = await mails('case.overdue');
    expect(overdueMails.map((m) => m.recipients)).toEqual(
      expect.arrayContaining([[officerA.email], expect.arrayContaining([responder.email])]),
    );
    expect(overdueMails).toHaveLength(2);
    const c = await api('get', `cases/${caseId}`, officerA.token).expect(status(200));
    expect(c.body).toMatchObject({ status: 'open', overdue: true });
  });

  it('publishes the list of units with open cases as JSON, CSV and PDF', async () => {
    const json = await api('get', 'published/botnet-units', analyst).expect(status(200));
    const item = json.body.items.find((i: { unitId: string }) => i.unitId === unitA.id);
    expect(item).toMatchObject({
      unitName: unitA.name,
      unitShortCode: unitA.shortCode,
      caseId,
      infectedAddresses: 5,
      c2Count: 2,
      status: 'open',
    });
    expect(json.body.total).toBe(json.body.items.length);
    expect(json.body.truncated).toBe(false);

    const csv = await api('get', 'published/botnet-units?format=csv&bom=true&lang=en', analyst)
      .buffer(true)
      .parse(binary)
      .expect(status(200));
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const text = (csv.body as Buffer).toString('utf8');
    expect(text.charCodeAt(0)).toBe(0xfeff);
    expect(text).toContain('Unit,Unit code,Infected addresses');
    expect(text).toContain(`${unitA.name},${unitA.shortCode},5,2`);

    const pdf = await api('get', 'published/botnet-units?format=pdf', analyst)
      .buffer(true)
      .parse(binary)
      .expect(status(200));
    expect(pdf.headers['content-type']).toBe('application/pdf');
    const pages = (await pdfPages(pdf.body as Buffer)).join(' ');
    expect(pages).toContain('Danh sách đơn vị có kết nối đến mạng máy tính ma (botnet)');
    expect(pages).toContain(unitA.name);
    expect(pages).toContain('Chưa tiếp nhận');
    const en = await api('get', 'published/botnet-units?format=pdf&lang=en', analyst)
      .buffer(true)
      .parse(binary)
      .expect(status(200));
    expect((await pdfPages(en.body as Buffer)).join(' ')).toContain(
      'Units with connections to botnets',
    );

    await t.sealAudit();
    const exports = await db.query<{ summary: { sha256: string; filename: string } }[]>(
      `SELECT summary FROM audit_events WHERE action = 'case.list_export' ORDER BY seq`,
    );
    expect(exports.map((e) => e.summary.filename)).toEqual(
      expect.arrayContaining([expect.stringMatching(/\.csv$/), expect.stringMatching(/\.pdf$/)]),
    );

    await api('get', 'published/botnet-units', officerA.token).expect(status(403));
    await api('get', 'published/botnet-units?format=xml', analyst).expect(status(400));
    const hidden = await request(t.server).get('/api/v1/public/botnet-units').expect(status(404));
    expect(hidden.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it('serves the public list (names and counts only) when configured so', async () => {
    const open = await createTestApp({
      clock,
      env: { RESPONSE_SCHEDULER_INTERVAL_S: '0', PUBLISHED_LIST_ACCESS: 'public' },
    });
    try {
      const res = await request(open.server).get('/api/v1/public/botnet-units').expect(status(200));
      const item = res.body.items.find((i: { unitName: string }) => i.unitName === unitA.name);
      expect(item).toEqual({
        unitName: unitA.name,
        infectedAddresses: 5,
        since: expect.any(String),
        status: 'open',
      });
      const pdf = await request(open.server)
        .get('/api/v1/public/botnet-units?format=pdf&lang=vi')
        .buffer(true)
        .parse(binary)
        .expect(status(200));
      expect((await pdfPages(pdf.body as Buffer)).join(' ')).toContain(unitA.name);
      const csv = await request(open.server)
        .get('/api/v1/public/botnet-units?format=csv')
        .expect(status(200));
      expect(csv.text.split('\r\n')[0]).toBe('Đơn vị,Số địa chỉ bị nhiễm,Ghi nhận từ,Trạng thái');
    } finally {
      await open.close();
    }
  });

  it('opens a new case, not a reopened one, on a connection after the reopen window', async () => {
    const casesOfB = () =>
      db.query<{ id: string; status: string; reopen_count: number }[]>(
        `SELECT id, status, reopen_count FROM unit_cases WHERE unit_id = $1 ORDER BY opened_at`,
        [unitB.id],
      );
    await record([seen(0, '10.0.0.20/32')], unitB);
    const [first] = await casesOfB();
    await api('post', `cases/${first.id}/remediation`, responder.token)
      .send({ version: 1, summary: 'Đã làm sạch', actions: [{ kind: 'cleaned' }] })
      .expect(status(200));
    clock.advance(73 * HOUR);
    await runScheduler();
    expect((await casesOfB())[0].status).toBe('closed');

    clock.advance(31 * 24 * HOUR); // past CASE_REOPEN_WINDOW_DAYS (30)
    await record([seen(0, '10.0.0.21/32')], unitB);
    const [closed, fresh] = await casesOfB();
    expect(closed).toMatchObject({ id: first.id, status: 'closed', reopen_count: 0 });
    expect(fresh).toMatchObject({ status: 'open', reopen_count: 0 });
    const opened = await db.query<{ topic: string }[]>(
      `SELECT topic FROM outbox WHERE aggregate_id = $1`,
      [fresh.id],
    );
    expect(opened.map((o) => o.topic)).toEqual(['case.opened']);
  });

  it('lets a unit officer manage its unit’s webhooks for case events', async () => {
    const created = await api('post', 'webhooks', officerA.token)
      .send({ url: 'https://93.184.215.14/hooks', events: ['case.opened', 'case.closed'] })
      .expect(status(201));
    const mine = await api('get', 'webhooks', officerA.token).expect(status(200));
    expect(mine.body.items.map((w: { id: string }) => w.id)).toEqual([created.body.id]);
    await api('get', `webhooks/${created.body.id}`, officerB).expect(status(404));
  });
});
