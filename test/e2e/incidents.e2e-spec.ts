import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ManualClock } from '#src/platform/clock/clock.js';
import { MailIntakeTarget } from '#src/messaging/index.js';
import { CaseTracker } from '#src/response/cases/case-tracker.js';
import { IncidentsScheduler } from '#src/response/incidents/incidents.scheduler.js';
import { Factories } from '#test/support/factories.js';
import { departmentStaff, isp, status, unprotected } from '#test/support/requests.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

const HOUR = 3_600_000;
const MAX_BYTES = 4096;

/** The smallest valid PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The `key` of each record, as text. */
const pluck = (list: unknown, key: string): string[] =>
  (list as Record<string, unknown>[]).map((r) => String(r[key]));

/**
 * Incident reports: filing (API and mail), scoping, attachments, triage, the draft blocking
 * request, SLA reminders and overdue notices, the response team's contacts.
 */
describe('incidents', () => {
  let t: TestApp;
  let db: DataSource;
  let make: Factories;
  const clock = new ManualClock();
  let ispA: { orgId: string; token: string; email: string };
  let ispB: { orgId: string; token: string };
  let unit: { orgId: string; token: string };
  let unitOther: string;
  let analyst: string;
  let analystId: string;
  let responder: { token: string; id: string };
  let assignee: { id: string; email: string };
  let admin: string;
  let auditor: string;

  const api = (method: 'get' | 'post' | 'put', path: string, token?: string) => {
    const req = request(t.server)[method](`/api/v1${path}`);
    return token ? req.set('authorization', `Bearer ${token}`) : req;
  };
  const file = async (token: string, body: Json = {}): Promise<Json> =>
    (
      await api('post', '/incidents', token)
        .send({
          category: 'malware',
          severity: 'medium',
          title: 'Máy chủ bị nhiễm mã độc',
          description: 'Kết nối lạ tới máy chủ điều khiển',
          ...body,
        })
        .expect(status(201))
    ).body as Json;
  const act = (path: string, body: Json, token = responder.token) =>
    api('post', `/incidents${path}`, token).send(body);
  const rows = (sql: string, params: unknown[]) => db.query<Json[]>(sql, params);
  const outbox = (topic: string, id: string) =>
    rows(`SELECT recipients, payload FROM outbox WHERE topic = $1 AND aggregate_id = $2`, [
      topic,
      id,
    ]);
  const mails = (topic: string, id: string) =>
    rows(
      `SELECT recipients, subject, body FROM mail_outbox WHERE topic = $1 AND aggregate_id = $2`,
      [topic, id],
    );

  let KNOWN_CASE = '';

  beforeAll(async () => {
    clock.set(new Date());
    t = await createTestApp({
      clock,
      env: {
        RESPONSE_SCHEDULER_INTERVAL_S: '0',
        INCIDENT_ATTACHMENT_MAX_BYTES: String(MAX_BYTES),
        MAIL_INTAKE_ADDRESS: 'incidents@sokhcn.gov.vn',
      },
    });
    db = t.app.get(DataSource);
    make = new Factories(t.app);
    const a = await isp(t.app);
    const aPerson = await make.user(a.org, ['isp_operator']);
    ispA = { orgId: a.org.id, token: a.token, email: aPerson.email.toLowerCase() };
    const b = await isp(t.app);
    ispB = { orgId: b.org.id, token: b.token };
    const u = await make.loginAs('unit_officer');
    unit = { orgId: u.organization.id, token: u.token };
    unitOther = (await make.loginAs('unit_officer')).token;
    const staff = await departmentStaff(t.app);
    analyst = staff.analyst;
    analystId = staff.analystId;
    const r = await make.loginAs('responder');
    responder = { token: r.token, id: r.user.id };
    const second = await make.user(r.organization, ['responder']);
    assignee = { id: second.id, email: second.email.toLowerCase() };
    admin = (await make.loginAs('admin')).token;
    // A real case of the unit (through the cases feature's tracker), to link reports to.
    await db.transaction((manager) =>
      t.app.get(CaseTracker).record(
        manager,
        {
          kind: 'user',
          id: aPerson.id,
          organizationId: a.org.id,
          organizationKind: 'isp',
          roles: ['isp_operator'],
          tokenId: 'test',
        },
        [
          {
            unitId: unit.orgId,
            unitNetwork: '192.88.99.0/24',
            address: '192.88.99.7/32',
            c2Type: 'domain',
            c2Value: 'c2.incident-test.vn',
            indicatorId: null,
            count: 1,
            firstSeen: clock.now(),
            lastSeen: clock.now(),
          },
        ],
      ),
    );
    KNOWN_CASE = (
      await db.query<{ id: string }[]>(`SELECT id FROM unit_cases WHERE unit_id = $1`, [unit.orgId])
    )[0].id;
    auditor = (await make.loginAs('auditor')).token;
  });
  afterAll(async () => {
    await t.close();
  });

  describe('filing', () => {
    it('files a report from an ISP: reference, canonical indicators, SLA, event, audit, outbox, mail', async () => {
      const domain = unprotected.domain();
      const created = await file(ispA.token, {
        severity: 'medium',
        affectedSystems: 'portal.isp-a.vn',
        indicators: [`${domain.toUpperCase()}.`, domain, '198.51.100.7', 'http://x.example.net/a'],
      });
      expect(created).toMatchObject({
        reference: expect.stringMatching(/^INC-\d{4}-\d{6}$/),
        reporterOrganizationId: ispA.orgId,
        reporterType: 'user',
        source: 'api',
        status: 'new',
        version: 1,
        overdue: false,
        indicators: [
          { type: 'domain', value: domain },
          { type: 'ipv4', value: '198.51.100.7' },
          { type: 'url', value: 'http://x.example.net/a' },
        ],
        attachments: [],
      });
      expect(pluck(created.events, 'kind')).toEqual(['created']);
      expect(new Date(created.dueAt).getTime() - new Date(created.createdAt).getTime()).toBe(
        72 * HOUR,
      );
      await t.sealAudit();
      expect(
        await rows(
          `SELECT summary FROM audit_events WHERE action = 'incident.create' AND object_id = $1`,
          [created.id],
        ),
      ).toHaveLength(1);
      expect(await outbox('incident.created', created.id)).toHaveLength(1);
      const [mail] = await mails('incident.created', created.id);
      expect(mail.recipients).toContain(assignee.email);
      expect(mail.subject).toContain(created.reference);
      expect(mail.body).toContain('báo cáo sự cố mới');
      expect(mail.body).toContain('A new incident report was filed');
    });

    it('files from a unit officer and from Department staff; the SLA follows the severity', async () => {
      for (const [token, severity, hours] of [
        [unit.token, 'critical', 4],
        [analyst, 'high', 24],
        [ispA.token, 'low', 168],
      ] as const) {
        const created = await file(token, { severity });
        expect(new Date(created.dueAt).getTime() - clock.now().getTime()).toBe(hours * HOUR);
      }
    });

    it('refuses what is not valid with a 400 naming the field, and writes nothing', async () => {
      const [{ n: before }] = await rows(`SELECT count(*)::int AS n FROM incidents`, []);
      const bad = async (body: Json, name: string) => {
        const res = await api('post', '/incidents', ispA.token)
          .send({ category: 'malware', severity: 'low', title: 't', description: 'd', ...body })
          .expect(status(400));
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(pluck(res.body['invalid-params'], 'name')).toContain(name);
      };
      await bad({ category: 'gambling' }, 'category');
      await bad(
        { indicators: ['a.com', '198.51.100.1', 'b.com', 'not a value at all'] },
        'indicators[3]',
      );
      await bad({ title: 'x'.repeat(301) }, 'title');
      await bad({ occurredAt: new Date(clock.now().getTime() + HOUR).toISOString() }, 'occurredAt');
      await bad({ indicators: Array.from({ length: 1001 }, (_, i) => `h${i}.com`) }, 'indicators');
      await bad({ extra: 1 }, 'extra');
      const [{ n: after }] = await rows(`SELECT count(*)::int AS n FROM incidents`, []);
      expect(after).toBe(before);
    });
  });

  describe('scoping', () => {
    let ofA: Json;
    let ofB: Json;
    let ofUnit: Json;
    beforeAll(async () => {
      ofA = await file(ispA.token, { category: 'phishing' });
      ofB = await file(ispB.token, { category: 'phishing' });
      ofUnit = await file(unit.token, { category: 'phishing' });
    });

    it('lists an ISP’s and a unit’s own reports only; the Department and auditors see all', async () => {
      const ids = async (token: string) =>
        pluck(
          (await api('get', '/incidents?limit=200&category=phishing', token).expect(status(200)))
            .body.items,
          'id',
        );
      const a = await ids(ispA.token);
      expect(a).toContain(ofA.id);
      expect(a).not.toContain(ofB.id);
      expect(a).not.toContain(ofUnit.id);
      expect(await ids(unit.token)).toEqual([ofUnit.id]);
      expect(await ids(unitOther)).toEqual([]);
      for (const token of [responder.token, auditor, analyst]) {
        expect(await ids(token)).toEqual(expect.arrayContaining([ofA.id, ofB.id, ofUnit.id]));
      }
    });

    it('answers 404 for another organization’s report, as for none', async () => {
      const other = await api('get', `/incidents/${ofA.id}`, ispB.token).expect(status(404));
      const none = await api('get', `/incidents/${randomUUID()}`, ispB.token).expect(status(404));
      expect(other.body.detail).toBe(none.body.detail);
      await api('get', `/incidents/${ofA.id}`, unit.token).expect(status(404));
      await act(`/${ofA.id}/information`, { version: 1, message: 'x' }, ispB.token).expect(
        status(404),
      );
      await api('post', `/incidents/${ofA.id}/attachments`, ispB.token)
        .set('content-type', 'image/png')
        .send(PNG)
        .expect(status(404));
      await api('get', `/incidents/${ofA.id}`, auditor).expect(status(200));
    });

    it('pages with a cursor', async () => {
      const first = await api('get', '/incidents?limit=1', ispA.token).expect(status(200));
      expect(first.body.items).toHaveLength(1);
      const next = await api(
        'get',
        `/incidents?limit=1&cursor=${first.body.nextCursor}`,
        ispA.token,
      ).expect(status(200));
      expect(next.body.items[0].id).not.toBe(first.body.items[0].id);
    });
  });

  describe('attachments', () => {
    let incident: Json;
    const upload = (type: string, body: Buffer | string, filename?: string, token = ispA.token) =>
      api(
        'post',
        `/incidents/${incident.id}/attachments${filename ? `?filename=${encodeURIComponent(filename)}` : ''}`,
        token,
      )
        .set('content-type', type)
        .send(body);
    beforeAll(async () => {
      incident = await file(ispA.token);
    });

    it('stores a PNG and serves it back as a download', async () => {
      const res = await upload('image/png', PNG, '../screens/màn hình "1".png').expect(status(201));
      expect(res.body).toMatchObject({
        filename: 'màn hình "1".png',
        contentType: 'image/png',
        sizeBytes: PNG.length,
        sha256: createHash('sha256').update(PNG).digest('hex'),
      });
      const got = await api(
        'get',
        `/incidents/${incident.id}/attachments/${res.body.id}`,
        responder.token,
      )
        .buffer(true)
        .parse((r, done) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => done(null, Buffer.concat(chunks)));
        })
        .expect(status(200));
      expect(Buffer.compare(got.body as Buffer, PNG)).toBe(0);
      expect(got.headers['content-type']).toBe('image/png');
      expect(got.headers['x-content-type-options']).toBe('nosniff');
      expect(got.headers['content-disposition']).toBe(
        `attachment; filename="m_n h_nh _1_.png"; filename*=UTF-8''m%C3%A0n%20h%C3%ACnh%20%221%22.png`,
      );
      const detail = await api('get', `/incidents/${incident.id}`, ispA.token).expect(status(200));
      expect(pluck(detail.body.attachments, 'id')).toEqual([res.body.id]);
      await api('get', `/incidents/${incident.id}/attachments/${res.body.id}`, ispB.token).expect(
        status(404),
      );
    });

    it('serves text as text/plain and refuses what is not what it says', async () => {
      const html = await upload('text/plain', '<script>alert(1)</script>', 'x.html').expect(
        status(201),
      );
      const got = await api(
        'get',
        `/incidents/${incident.id}/attachments/${html.body.id}`,
        ispA.token,
      ).expect(status(200));
      expect(got.headers['content-type']).toBe('text/plain; charset=utf-8');
      const fake = await upload(
        'image/png',
        Buffer.from('<html>not a png</html>'),
        'fake.png',
      ).expect(status(422));
      expect(fake.body.detail).toContain('image/png');
      await upload('text/html', '<b>x</b>').expect(status(415));
      await upload('text/plain', Buffer.from([0x61, 0xff])).expect(status(422));
      const big = await upload('application/json', `"${'x'.repeat(MAX_BYTES)}"`).expect(
        status(413),
      );
      expect(big.body).toMatchObject({ limit: 'incident-attachment-size', limitValue: MAX_BYTES });
      // Department staff who neither reported it nor respond: 403.
      await upload('image/png', PNG, 'a.png', analyst).expect(status(403));
    });

    it('takes at most 10 per report', async () => {
      const [{ n }] = await rows(
        `SELECT count(*)::int AS n FROM incident_attachments WHERE incident_id = $1`,
        [incident.id],
      );
      for (let i = n; i < 10; i++) {
        await upload('text/csv', `a,b\n${i},2\n`, `f${i}.csv`, responder.token).expect(status(201));
      }
      const res = await upload('text/csv', 'a\n', 'eleventh.csv').expect(status(409));
      expect(res.body.limit).toBe('attachments-per-incident');
      const [{ m }] = await rows(
        `SELECT count(*)::int AS m FROM incident_attachments WHERE incident_id = $1`,
        [incident.id],
      );
      expect(m).toBe(10);
    });
  });

  describe('triage', () => {
    let incident: Json;
    const values = [unprotected.domain(), unprotected.ipv4()];
    beforeAll(async () => {
      incident = await file(ispA.token, {
        category: 'botnet',
        severity: 'high',
        indicators: values,
      });
    });

    it('assigns to a responder only, with the version read', async () => {
      const refused = await act(`/${incident.id}/assign`, {
        version: 1,
        assigneeId: analystId,
      }).expect(status(422));
      expect(refused.body['invalid-params'][0].name).toBe('assigneeId');
      await act(`/${incident.id}/assign`, { version: 1, assigneeId: assignee.id }, analyst).expect(
        status(403),
      );
      const res = await act(`/${incident.id}/assign`, {
        version: 1,
        assigneeId: assignee.id,
      }).expect(status(200));
      expect(res.body).toMatchObject({ status: 'triaged', assigneeId: assignee.id, version: 2 });
      await act(`/${incident.id}/assign`, { version: 1, assigneeId: assignee.id }).expect(
        status(409),
      );
      expect((await mails('incident.assigned_to_you', incident.id))[0].recipients).toEqual([
        assignee.email,
      ]);
      const [updated] = await outbox('incident.updated', incident.id);
      expect(updated.recipients).toEqual([ispA.orgId]);
      expect(updated.payload.data ?? updated.payload).toMatchObject({ status: 'triaged' });
    });

    it('asks the reporter for information, who answers (→ triaged)', async () => {
      const asked = await act(`/${incident.id}/request-information`, {
        version: 2,
        message: 'Gửi nhật ký DNS / send the DNS logs',
      }).expect(status(200));
      expect(asked.body.status).toBe('awaiting_information');
      const [mail] = await mails('incident.information_requested', incident.id);
      expect(mail.recipients).toContain(ispA.email);
      expect(mail.body).toContain('send the DNS logs');
      const answered = await act(
        `/${incident.id}/information`,
        { version: 3, message: 'Đã gửi kèm / attached' },
        ispA.token,
      ).expect(status(200));
      expect(answered.body.status).toBe('triaged');
      expect((await mails('incident.information_provided', incident.id))[0].recipients).toEqual([
        assignee.email,
      ]);
      await act(`/${incident.id}/information`, { version: 4, message: 'x' }, analyst).expect(
        status(403),
      );
    });

    it('keeps the response team’s notes from the reporter', async () => {
      await act(`/${incident.id}/notes`, {
        version: 4,
        message: 'internal: looks like Mirai',
      }).expect(status(200));
      const own = await api('get', `/incidents/${incident.id}`, ispA.token).expect(status(200));
      expect(JSON.stringify(own.body.events)).not.toContain('Mirai');
      const team = await api('get', `/incidents/${incident.id}`, responder.token).expect(
        status(200),
      );
      expect(pluck(team.body.events, 'kind')).toEqual([
        'created',
        'assigned',
        'information_requested',
        'information_provided',
        'note',
      ]);
    });

    it('links a case through the cases lookup', async () => {
      await act(`/${incident.id}/link-case`, { version: 5, caseId: randomUUID() }).expect(
        status(422),
      );
      const res = await act(`/${incident.id}/link-case`, { version: 5, caseId: KNOWN_CASE }).expect(
        status(200),
      );
      expect(res.body).toMatchObject({ caseId: KNOWN_CASE, version: 6 });
    });

    it('turns its indicators into a draft blocking request in one step, once', async () => {
      const res = await act(`/${incident.id}/draft-request`, { version: 6 }).expect(status(200));
      const requestId = res.body.requestId as string;
      expect(requestId).toEqual(expect.any(String));
      const draft = await api('get', `/blocking-requests/${requestId}`, analyst).expect(
        status(200),
      );
      expect(draft.body).toMatchObject({
        status: 'draft',
        documentNumber: incident.reference,
        category: 'botnet',
        severity: 'high',
        targetsAll: true,
      });
      const items = await api('get', `/blocking-requests/${requestId}/items`, analyst).expect(
        status(200),
      );
      expect(pluck(items.body.items, 'value').sort()).toEqual([...values].sort());
      const again = await act(`/${incident.id}/draft-request`, { version: 7 }).expect(status(409));
      expect(again.body.blockingRequestId).toBe(requestId);
      const bare = await file(ispA.token);
      await act(`/${bare.id}/draft-request`, { version: 1 }).expect(status(409));
      await t.sealAudit();
      const audited = await rows(
        `SELECT action FROM audit_events WHERE object_id IN ($1, $2) AND action IN ('incident.draft_request', 'blocking_request.create')`,
        [incident.id, requestId],
      );
      expect(pluck(audited, 'action').sort()).toEqual([
        'blocking_request.create',
        'incident.draft_request',
      ]);
    });

    it('resolves, then closes; refuses impossible transitions', async () => {
      const early = await act(`/${incident.id}/close`, { version: 7 }).expect(status(409));
      expect(early.body.type).toContain('invalid-state');
      const resolved = await act(`/${incident.id}/resolve`, {
        version: 7,
        resolution: 'Blocked at the ISPs; host cleaned',
      }).expect(status(200));
      expect(resolved.body).toMatchObject({
        status: 'resolved',
        resolution: 'Blocked at the ISPs; host cleaned',
      });
      await act(`/${incident.id}/request-information`, { version: 8, message: 'x' }).expect(
        status(409),
      );
      const closed = await act(`/${incident.id}/close`, { version: 8 }).expect(status(200));
      expect(closed.body.status).toBe('closed');
      await api('post', `/incidents/${incident.id}/attachments`, ispA.token)
        .set('content-type', 'text/plain')
        .send('late')
        .expect(status(409));
      expect((await mails('incident.closed', incident.id))[0].recipients).toContain(ispA.email);
    });
  });

  describe('SLA', () => {
    it('reminds once before the due time and declares overdue once, for open reports only', async () => {
      const scheduler = t.app.get(IncidentsScheduler);
      await scheduler.runOnce(); // what earlier tests left due
      const open = await file(ispA.token, { severity: 'critical' });
      await act(`/${open.id}/assign`, { version: 1, assigneeId: assignee.id }).expect(status(200));
      const done = await file(ispA.token, { severity: 'critical' });
      await act(`/${done.id}/resolve`, { version: 1, resolution: 'false alarm' }).expect(
        status(200),
      );
      const quiet = await file(ispA.token, { severity: 'low' });

      clock.advance(4 * HOUR - 30 * 60_000);
      await scheduler.runOnce();
      await scheduler.runOnce();
      expect(await outbox('incident.reminder', open.id)).toHaveLength(1);
      expect(
        (await mails('incident.reminder', open.id)).map((m) => m.recipients as string[]),
      ).toEqual([[assignee.email]]);
      expect(await outbox('incident.overdue', open.id)).toHaveLength(0);

      clock.advance(HOUR);
      await scheduler.runOnce();
      await scheduler.runOnce();
      const [overdue] = await outbox('incident.overdue', open.id);
      expect(overdue.recipients).toContain(ispA.orgId);
      expect(await outbox('incident.overdue', open.id)).toHaveLength(1);
      expect(await mails('incident.overdue', open.id)).toHaveLength(1);
      for (const id of [done.id, quiet.id]) {
        expect(await outbox('incident.reminder', id)).toHaveLength(0);
        expect(await outbox('incident.overdue', id)).toHaveLength(0);
      }
      const shown = await api('get', `/incidents/${open.id}`, ispA.token).expect(status(200));
      expect(shown.body.overdue).toBe(true);
      expect(pluck(shown.body.events, 'kind')).toEqual([
        'created',
        'assigned',
        'reminder',
        'overdue',
      ]);
    });
  });

  describe('response team', () => {
    it('is public to read and changed by an administrator or a responder only', async () => {
      const before = await api('get', '/response-team').expect(status(200));
      expect(before.body).toMatchObject({
        name: expect.any(String),
        incidentMailbox: 'incidents@sokhcn.gov.vn',
      });
      await api('put', '/response-team', ispA.token)
        .send({ phone: '0237 3852 000' })
        .expect(status(403));
      await api('put', '/response-team').send({ phone: '0237 3852 000' }).expect(status(401));
      const bad = await api('put', '/response-team', admin)
        .send({ phone: 'call us', email: 'nope' })
        .expect(status(400));
      expect(pluck(bad.body['invalid-params'], 'name').sort()).toEqual(['email', 'phone']);
      await api('put', '/response-team', admin).send({}).expect(status(400));
      const put = await api('put', '/response-team', admin)
        .send({ phone: '+84 237.3852.000', hotline: '1900-1234', email: 'CSIRT@SoKHCN.gov.vn' })
        .expect(status(200));
      expect(put.body).toMatchObject({
        phone: '+84 237.3852.000',
        hotline: '1900-1234',
        email: 'csirt@sokhcn.gov.vn',
      });
      const after = await api('get', '/response-team').expect(status(200));
      expect(after.body).toMatchObject({ phone: '+84 237.3852.000', hotline: '1900-1234' });
      const cleared = await api('put', '/response-team', responder.token)
        .send({ hotline: null })
        .expect(status(200));
      expect(cleared.body).toMatchObject({ hotline: null, phone: '+84 237.3852.000' });
      await t.sealAudit();
      expect(
        (
          await rows(
            `SELECT 1 FROM audit_events WHERE action = 'organization.update' AND actor_id = $1`,
            [responder.id],
          )
        ).length,
      ).toBe(1);
    });
  });

  describe('mail intake', () => {
    it('files a mailed report: refanged indicators, severity from the tag, attachments checked', async () => {
      const target = t.app.get(MailIntakeTarget);
      const { incidentId } = await db.transaction((manager) =>
        target.fromMail(manager, {
          inboxId: randomUUID(),
          organizationId: ispA.orgId,
          userId: null,
          fromAddress: 'SOC@isp-a.com.vn',
          subject: '[Khẩn cấp] Máy chủ bị nhiễm mã độc',
          text:
            'Phát hiện kết nối tới c2[.]badhost.xyz và hxxp://phish[.]example(.)net/x, 203.0.113[.]9.\n' +
            'Liên hệ soc@isp-a.com.vn, www.isp-a.com.vn; hộp thư incidents.sokhcn.gov.vn.',
          attachments: [
            { filename: 'screen.png', contentType: 'image/png', content: PNG },
            { filename: 'fake.png', contentType: 'image/png', content: Buffer.from('nope') },
            { filename: 'page.html', contentType: 'text/html', content: Buffer.from('<b>') },
          ],
          receivedAt: clock.now(),
        }),
      );
      const res = await api('get', `/incidents/${incidentId}`, ispA.token).expect(status(200));
      expect(res.body).toMatchObject({
        source: 'email',
        reporterType: 'email',
        reporterEmail: 'soc@isp-a.com.vn',
        category: 'other',
        severity: 'critical',
        title: '[Khẩn cấp] Máy chủ bị nhiễm mã độc',
        indicators: [
          { type: 'domain', value: 'c2.badhost.xyz' },
          { type: 'url', value: 'http://phish.example.net/x' },
          { type: 'ipv4', value: '203.0.113.9' },
        ],
      });
      expect(new Date(res.body.dueAt).getTime() - clock.now().getTime()).toBe(4 * HOUR);
      expect(pluck(res.body.attachments, 'filename')).toEqual(['screen.png']);
      const note = res.body.events.find((e: Json) => e.kind === 'note');
      expect(note.body).toContain('fake.png');
      expect(note.body).toContain('page.html');
      expect(await outbox('incident.created', incidentId)).toHaveLength(1);
    });
  });
});
