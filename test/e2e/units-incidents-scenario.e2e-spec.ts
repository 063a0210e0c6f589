import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { seedDemoResponse } from '#src/app/demo/demo-response.js';
import { seedDemoRequest } from '#src/app/demo/demo-request.js';
import { seedDemo } from '#src/app/demo/seed-demo.js';
import { ManualClock } from '#src/platform/clock/clock.js';
import { MailSender } from '#src/messaging/mail/mail-sender.js';
import { CaseScheduler } from '#src/response/cases/case.scheduler.js';
import { freshDatabase } from '#test/support/database-urls.js';
import { status } from '#test/support/requests.js';
import { freePort, sendMail, startSmtpSink, type SmtpSink } from '#test/support/smtp.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

const HOUR = 3600_000;
const PASSWORD = 'demo-password-2026';
const MAILBOX = 'su-co@dic.example';

/**
 * The "done when", on the demo data, with real SMTP both ways: a sighting from a demo ISP
 * opens a case for the right demo unit; the unit's officer acknowledges, reports remediation,
 * and the case closes after the quiet period; a report e-mailed to the incident mailbox becomes a
 * tracked incident that a responder turns into a draft blocking request. Every notice leaves
 * through an SMTP server the test runs, and the report arrives through the service's own.
 */
describe('units and incidents: the letter, end to end', () => {
  let t: TestApp;
  let db: DataSource;
  let sink: SmtpSink;
  let intakePort: number;
  let fresh: { url: string; drop: () => Promise<void> } | undefined;
  const clock = new ManualClock();
  const tokens: Record<string, string> = {};
  let caseId = '';
  let incidentId = '';

  const api = (method: 'get' | 'post', path: string, who: string) =>
    request(t.server)[method](`/api/v1/${path}`).set('authorization', `Bearer ${tokens[who]}`);
  const login = async (email: string): Promise<string> =>
    (
      await request(t.server)
        .post('/api/v1/auth/login')
        .send({ email, password: PASSWORD })
        .expect(status(200))
    ).body.access_token as string;
  /** Sends what is queued (the worker, once) and returns the mails `to` got since `since`. */
  const delivered = async (to: string, since: number) => {
    await t.app.get(MailSender).runOnce();
    return sink.messages.slice(since).filter((m) => m.envelope.to.includes(to));
  };

  beforeAll(async () => {
    clock.set(new Date());
    sink = await startSmtpSink();
    intakePort = await freePort();
    fresh = await freshDatabase();
    t = await createTestApp({
      clock,
      databaseUrl: fresh.url,
      env: {
        SMTP_URL: sink.url,
        MAIL_FROM: 'canh-bao@dic.example',
        MAIL_INTAKE_PORT: String(intakePort),
        MAIL_INTAKE_ADDRESS: MAILBOX,
        CASE_QUIET_PERIOD_HOURS: '72',
        CASE_DEADLINE_HOURS: '72',
      },
    });
    db = t.app.get(DataSource);
    await seedDemo(db, PASSWORD, clock);
    // The request's items are valid from the database's now(): the clock catches up first.
    clock.set(new Date(Date.now() + 1000));
    await seedDemoRequest(t.app);
    await seedDemoResponse(t.app, PASSWORD);
    for (const [who, email] of Object.entries({
      ispB: 'operator@isp-b.example',
      dongson: 'officer@ttyt-dongson.example',
      hacthanh: 'officer@hacthanh.example',
      responder: 'responder@dic.example',
      analyst: 'analyst@dic.example',
    })) {
      tokens[who] = await login(email);
    }
    // Whatever the seed queued (its own case and incident) is sent before the story starts.
    await t.app.get(MailSender).runOnce();
  });

  afterAll(async () => {
    await t?.close();
    await sink?.close();
    await fresh?.drop();
  });

  it('turns Demo ISP B’s sighting into a case for the unit whose network holds the address', async () => {
    const before = sink.messages.length;
    await api('post', 'sightings', 'ispB')
      .send({
        sightings: [
          {
            value: 'botnet-c2.example.com',
            network: '192.88.99.40',
            count: 17,
            firstSeen: new Date(clock.now().getTime() - 2 * HOUR).toISOString(),
            lastSeen: new Date(clock.now().getTime() - 60_000).toISOString(),
          },
        ],
      })
      .expect(status(201));
    const mine = await api('get', 'cases', 'dongson').expect(status(200));
    expect(mine.body.items).toHaveLength(1);
    caseId = mine.body.items[0].id as string;
    expect(mine.body.items[0]).toMatchObject({ unitShortCode: 'TTYT-DONGSON', status: 'open' });
    const detail = await api('get', `cases/${caseId}`, 'dongson').expect(status(200));
    expect(detail.body.connections).toEqual([
      expect.objectContaining({ address: '192.88.99.40/32', c2Value: 'botnet-c2.example.com' }),
    ]);
    // The other unit's officer sees only their own (the seed's) case, never this one.
    const theirs = await api('get', 'cases', 'hacthanh').expect(status(200));
    expect(theirs.body.items.map((c: { id: string }) => c.id)).not.toContain(caseId);
    await api('get', `cases/${caseId}`, 'hacthanh').expect(status(404));
    // The unit's officer is told by e-mail, through SMTP.
    const [notice] = await delivered('officer@ttyt-dongson.example', before);
    expect(notice.parsed.text).toContain('botnet-c2.example.com');
    expect(notice.parsed.text).toContain(caseId);
  });

  it('closes the case after remediation only once the quiet period has passed', async () => {
    let c = (await api('get', `cases/${caseId}`, 'dongson').expect(status(200))).body;
    c = (
      await api('post', `cases/${caseId}/acknowledge`, 'dongson')
        .send({ version: c.version })
        .expect(status(200))
    ).body;
    c = (
      await api('post', `cases/${caseId}/remediation`, 'dongson')
        .send({
          version: c.version,
          summary: 'Đã gỡ mã độc trên máy 192.88.99.40, cập nhật bản vá, đổi mật khẩu',
          actions: [{ kind: 'cleaned', detail: '192.88.99.40' }, { kind: 'patched' }],
        })
        .expect(status(200))
    ).body;
    expect(c.status).toBe('remediated');

    clock.advance(71 * HOUR);
    await t.app.get(CaseScheduler).runOnce();
    expect((await api('get', `cases/${caseId}`, 'dongson').expect(status(200))).body.status).toBe(
      'remediated',
    );
    const before = sink.messages.length;
    clock.advance(2 * HOUR);
    await t.app.get(CaseScheduler).runOnce();
    const closed = (await api('get', `cases/${caseId}`, 'dongson').expect(status(200))).body;
    expect(closed.status).toBe('closed');
    expect(await delivered('officer@ttyt-dongson.example', before)).toHaveLength(1);
  });

  it('files an e-mailed report as an incident a responder turns into a draft request', async () => {
    const before = sink.messages.length;
    await sendMail(intakePort, {
      from: 'officer@ttyt-dongson.example',
      to: MAILBOX,
      subject: '[cao] Máy chủ cổng thông tin bị chèn mã độc',
      text:
        'Kính gửi Đội ứng cứu,\n' +
        'Máy chủ web tải tệp từ hxxp://update-check[.]malware-cdn.net/p.exe và kết nối tới ' +
        'c2-relay[.]bad-actor.net. Nhật ký đính kèm.\n',
      attachments: [
        { filename: 'access.log', content: 'GET /p.exe 200\n', contentType: 'text/plain' },
      ],
    });
    const [inbox] = await db.query<{ status: string; reason: string | null }[]>(
      `SELECT status, reason FROM mail_inbox WHERE from_address = 'officer@ttyt-dongson.example'`,
    );
    expect(inbox).toEqual({ status: 'accepted', reason: null });
    const list = await api('get', 'incidents?status=new', 'responder').expect(status(200));
    const filed = list.body.items.find(
      (i: { title: string }) => i.title === '[cao] Máy chủ cổng thông tin bị chèn mã độc',
    );
    expect(filed).toMatchObject({ source: 'email', severity: 'high' });
    incidentId = filed.id as string;
    const detail = (await api('get', `incidents/${incidentId}`, 'responder').expect(status(200)))
      .body;
    expect(detail.indicators.map((i: { value: string }) => i.value).sort()).toEqual([
      'c2-relay.bad-actor.net',
      'http://update-check.malware-cdn.net/p.exe',
    ]);
    expect(detail.attachments).toEqual([expect.objectContaining({ filename: 'access.log' })]);
    // The reporting unit sees its report; the responders were told by e-mail.
    await api('get', `incidents/${incidentId}`, 'dongson').expect(status(200));
    await api('get', `incidents/${incidentId}`, 'hacthanh').expect(status(404));
    expect(await delivered('responder@dic.example', before)).not.toHaveLength(0);

    const [{ id: responderId }] = await db.query<{ id: string }[]>(
      `SELECT id FROM users WHERE email = 'responder@dic.example'`,
    );
    const assigned = await api('post', `incidents/${incidentId}/assign`, 'responder')
      .send({ version: detail.version, assigneeId: responderId })
      .expect(status(200));
    expect(assigned.body.status).toBe('triaged');
    const drafted = await api('post', `incidents/${incidentId}/draft-request`, 'responder')
      .send({ version: assigned.body.version })
      .expect(status(200));
    const requestId = drafted.body.requestId as string;
    const draft = await api('get', `blocking-requests/${requestId}`, 'analyst').expect(status(200));
    expect(draft.body.status).toBe('draft');
    const items = await db.query<{ value: string }[]>(
      `SELECT n.value FROM blocking_request_items i JOIN indicators n ON n.id = i.indicator_id
        WHERE i.request_id = $1 ORDER BY n.value`,
      [requestId],
    );
    expect(items.map((i) => i.value)).toEqual([
      'c2-relay.bad-actor.net',
      'http://update-check.malware-cdn.net/p.exe',
    ]);
  });

  it('quarantines a report from an unknown sender for the responders to review', async () => {
    await sendMail(intakePort, {
      from: 'someone@unknown.example',
      to: MAILBOX,
      subject: 'Sự cố lạ',
      text: 'Có kết nối đáng ngờ.',
    });
    const quarantined = await api('get', 'mail/inbox?status=quarantined', 'responder').expect(
      status(200),
    );
    expect(quarantined.body.items).toEqual([
      expect.objectContaining({ fromAddress: 'someone@unknown.example', status: 'quarantined' }),
    ]);
    const rows = await db.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM incidents WHERE reporter_email = 'someone@unknown.example'`,
    );
    expect(rows[0].n).toBe(0);
  });
});
