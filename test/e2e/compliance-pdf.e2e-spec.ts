import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ManualClock } from '#src/platform/clock/clock.js';
import { DepartmentIdentityService } from '#src/feeds/snapshots/department-identity.service.js';
import { FeedWriter } from '#src/feeds/change-log/feed-writer.js';
import type { OrganizationEntity } from '#src/identity/organizations/organization.entity.js';
import { AssignmentFixtures } from '#test/support/assignment-fixtures.js';
import { Factories } from '#test/support/factories.js';
import { hasPdftoppm, pdfInfo, pdfPages, renderPageGray, squash } from '#test/support/pdf-text.js';
import { isp as ispWithToken, status } from '#test/support/requests.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const at = (iso: string): Date => new Date(iso);
const plus = (d: Date, ms: number): Date => new Date(d.getTime() + ms);

// In 2003: before anything the other tests sharing the database publish.
const FROM = '2003-05-01T00:00:00Z';
const TO = '2003-06-01T00:00:00Z';
const WINDOW = `from=${FROM}&to=${TO}`;
const NOW = at('2003-06-15T00:00:00Z');
const STAMP = '2003-05-01T000000Z-2003-06-01T000000Z';

const TITLE_1 = 'Yêu cầu chặn tên miền lừa đảo – Quyết định số 12/QĐ-STTTT';
const TITLE_2 =
  'Chặn địa chỉ IP máy chủ điều khiển mạng máy tính ma (botnet) – Công văn 345/STTTT-ATTT';
const TITLE_3 = (
  'Yêu cầu chặn khẩn cấp các tên miền, địa chỉ IP và đường dẫn giả mạo Cổng dịch vụ công quốc gia, ' +
  'ngân hàng thương mại và ví điện tử, phát tán mã độc đánh cắp thông tin tài khoản của người dân ' +
  'trên địa bàn tỉnh Thừa Thiên Huế, theo đề nghị của Công an tỉnh và Trung tâm Giám sát an toàn ' +
  'không gian mạng quốc gia, kèm danh sách bổ sung đợt hai'
).slice(0, 300);
const REASON = 'Tên miền thuộc cơ quan nhà nước';

/** A binary body (supertest leaves application/pdf unparsed otherwise). */
function binary(res: request.Response, done: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => done(null, Buffer.concat(chunks)));
}

/**
 * The compliance report as a PDF over a small world written with SQL at known times: the text
 * pdfjs-dist extracts from it (Vietnamese exactly, after NFC), in both languages; headers, the
 * audit event, determinism, access and bad parameters.
 */
describe('compliance report as PDF', () => {
  let t: TestApp;
  const clock = new ManualClock(NOW);
  let make: Factories;
  let analyst: { token: string; id: string };
  let token: { admin: string; approver: string; auditor: string; ispClient: string };
  let ispOperator: string;
  let hue: OrganizationEntity;
  let danang: OrganizationEntity;
  let quangtri: OrganizationEntity;
  let department: string;
  const doc: Record<string, string> = {};

  const get = (path: string, who: string = analyst.token) =>
    request(t.server).get(`/api/v1/${path}`).set('authorization', `Bearer ${who}`);
  const pdf = async (query: string, who?: string): Promise<request.Response> =>
    get(`compliance/report.pdf?${query}`, who).buffer(true).parse(binary).expect(status(200));
  const name = (o: OrganizationEntity): string => `${o.name} (${o.shortCode})`;

  beforeAll(async () => {
    t = await createTestApp({ clock });
    make = new Factories(t.app);
    const db = t.app.get(DataSource);
    department = (await t.app.get(DepartmentIdentityService).load()).name;
    const dept = await make.organization('department');
    const issuer = await make.user(dept, ['analyst']);
    const fixtures = new AssignmentFixtures(db, t.app.get(FeedWriter), {
      organizationId: dept.id,
      userId: issuer.id,
    });
    const login = await make.loginAs('analyst');
    analyst = { token: login.token, id: login.user.id };
    token = {
      admin: (await make.loginAs('admin')).token,
      approver: (await make.loginAs('approver')).token,
      auditor: (await make.loginAs('auditor')).token,
      ispClient: (await make.loginAs('isp_client')).token,
    };
    ispOperator = (await ispWithToken(t.app)).token;
    hue = await make.organization('isp', { name: 'Công ty Viễn thông Huế' });
    danang = await make.organization('isp', { name: 'Công ty Viễn thông Đà Nẵng' });
    quangtri = await make.organization('isp', { name: 'Công ty Cổ phần Viễn thông Quảng Trị' });

    const publish = async (key: string, title: string, publishedAt: Date, hours: number) => {
      const deadlineAt = plus(publishedAt, hours * HOUR);
      const r = await fixtures.request({
        publishedAt,
        deadlineAt,
        targets: [hue.id, danang.id, quangtri.id],
        documentNumber: `${key}-${Math.random().toString(36).slice(2, 8)}/QĐ-STTTT`,
      });
      await db.query(`UPDATE blocking_requests SET title = $2 WHERE id = $1`, [r.id, title]);
      doc[key] = r.documentNumber;
      return { id: r.id, deadlineAt };
    };
    /** An assignment closed by one confirmation at closedAt (as the API writes it). */
    const closed = async (
      req: { id: string; deadlineAt: Date },
      isp: OrganizationEntity,
      state: {
        status: 'applied' | 'partially_applied' | 'rejected';
        acknowledgedAt: Date;
        closedAt: Date;
        appliedAt?: Date;
        reason?: string;
      },
    ) => {
      const id = await fixtures.assignment({
        requestId: req.id,
        organizationId: isp.id,
        deadlineAt: req.deadlineAt,
        status: state.status,
        acknowledgedAt: state.acknowledgedAt,
        closedAt: state.closedAt,
        appliedAt: state.appliedAt,
      });
      await fixtures.confirmation({
        assignmentId: id,
        organizationId: isp.id,
        status: state.status,
        appliedAt: state.appliedAt,
        reason: state.reason,
        createdAt: state.closedAt,
      });
    };

    // R1, 09:00 in Huế: applied in 2 h 30 min by Huế, rejected by Đà Nẵng, overdue at Quảng Trị.
    const p1 = at('2003-05-05T02:00:00Z');
    const r1 = await publish('R1', TITLE_1, p1, 24);
    await closed(r1, hue, {
      status: 'applied',
      acknowledgedAt: plus(p1, 15 * MINUTE),
      appliedAt: plus(p1, 150 * MINUTE),
      closedAt: plus(p1, 155 * MINUTE),
    });
    await closed(r1, danang, {
      status: 'rejected',
      acknowledgedAt: plus(p1, 10 * MINUTE),
      closedAt: plus(p1, 3 * HOUR),
      reason: REASON,
    });
    await fixtures.assignment({
      requestId: r1.id,
      organizationId: quangtri.id,
      deadlineAt: r1.deadlineAt,
    });
    // R2: overdue at Huế (acknowledged only), partially applied in 26 h by Đà Nẵng, applied
    // in 45 min by Quảng Trị.
    const p2 = at('2003-05-20T09:30:00Z');
    const r2 = await publish('R2', TITLE_2, p2, 48);
    await fixtures.assignment({
      requestId: r2.id,
      organizationId: hue.id,
      deadlineAt: r2.deadlineAt,
      status: 'acknowledged',
      acknowledgedAt: plus(p2, 15 * MINUTE),
    });
    await closed(r2, danang, {
      status: 'partially_applied',
      acknowledgedAt: plus(p2, 10 * MINUTE),
      appliedAt: plus(p2, 26 * HOUR),
      closedAt: plus(p2, 26 * HOUR + 5 * MINUTE),
    });
    await closed(r2, quangtri, {
      status: 'applied',
      acknowledgedAt: plus(p2, 5 * MINUTE),
      appliedAt: plus(p2, 45 * MINUTE),
      closedAt: plus(p2, 50 * MINUTE),
    });
    // R3, a 300-character title: applied in 1 h by Quảng Trị.
    const p3 = at('2003-05-28T01:00:00Z');
    const r3 = await publish('R3', TITLE_3, p3, 24);
    await closed(r3, quangtri, {
      status: 'applied',
      acknowledgedAt: plus(p3, 5 * MINUTE),
      appliedAt: plus(p3, HOUR),
      closedAt: plus(p3, HOUR),
    });
    // Outside the window: just before `from`, and at `to` (exclusive).
    for (const [key, published] of [
      ['before', at('2003-04-30T23:59:59.999Z')],
      ['atTo', at(TO)],
    ] as const) {
      const r = await publish(key, `Ngoài kỳ ${key}`, published, 24);
      await fixtures.assignment({
        requestId: r.id,
        organizationId: hue.id,
        deadlineAt: r.deadlineAt,
      });
    }
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers a private PDF attachment named after the window and the language', async () => {
    const res = await pdf(WINDOW);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="compliance-${STAMP}-vi.pdf"`,
    );
    expect(res.headers['cache-control']).toBe('private, no-store');
    const body = res.body as Buffer;
    expect(body.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const info = await pdfInfo(body);
    expect(info.CreationDate).toBe('D:20030615000000Z');
    const en = await pdf(`${WINDOW}&lang=en`);
    expect(en.headers['content-disposition']).toBe(
      `attachment; filename="compliance-${STAMP}-en.pdf"`,
    );
  });

  it('writes the report in Vietnamese: diacritics, per-ISP figures, overdue and rejections', async () => {
    const text = (await pdfPages((await pdf(WINDOW)).body as Buffer)).join(' ');
    const expected = [
      'Báo cáo tuân thủ',
      `Đơn vị: ${department}`,
      'Kỳ báo cáo: từ 01/05/2003 07:00 đến trước 01/06/2003 07:00',
      'Thời điểm lập báo cáo: 15/06/2003 07:00:00',
      'Số yêu cầu chặn ban hành trong kỳ: 3',
      'Múi giờ: Asia/Ho_Chi_Minh (UTC+07:00)',
      // The summary: assignments, applied, partial, rejected, open, overdue, on time, median
      // and p90 to apply, median to acknowledge.
      `${name(hue)} 2 1 0 0 1 1 50,0 2 giờ 30 phút 2 giờ 30 phút 15 phút`,
      `${name(danang)} 2 0 1 1 0 0 50,0 1 ngày 2 giờ 1 ngày 2 giờ 10 phút`,
      `${name(quangtri)} 3 2 0 0 1 1 66,7 52 phút 58 phút 5 phút`,
      // The requests, each with its ISPs.
      `${doc.R1} — ${TITLE_1}`,
      'Ban hành lúc: 05/05/2003 09:00 · Hạn xử lý: 06/05/2003 09:00 · Trạng thái: Đã ban hành',
      'Nhà mạng Trạng thái Thời điểm tiếp nhận Thời điểm thực hiện Thời điểm xác nhận Thời gian thực hiện Quá hạn Hạn xử lý',
      `${name(hue)} Đã thực hiện 05/05/2003 09:15 05/05/2003 11:30 05/05/2003 11:35 2 giờ 30 phút Không 06/05/2003 09:00`,
      `${name(danang)} Từ chối 05/05/2003 09:10 — 05/05/2003 12:00 — Không 06/05/2003 09:00`,
      `${name(quangtri)} Chờ tiếp nhận — — — — Có 06/05/2003 09:00`,
      `${doc.R2} — ${TITLE_2}`,
      `${name(hue)} Đã tiếp nhận 20/05/2003 16:45 — — — Có 22/05/2003 16:30`,
      `${name(danang)} Thực hiện một phần 20/05/2003 16:40 21/05/2003 18:30 21/05/2003 18:35 1 ngày 2 giờ Không`,
      `${doc.R3} — ${TITLE_3}`,
      // Overdue, earliest deadline first, by how long at the generation time.
      '3. Yêu cầu quá hạn',
      `${name(quangtri)} ${doc.R1} 05/05/2003 09:00 06/05/2003 09:00 Chờ tiếp nhận 39 ngày 22 giờ ${name(hue)} ${doc.R2} 20/05/2003 16:30 22/05/2003 16:30 Đã tiếp nhận 23 ngày 14 giờ`,
      '4. Yêu cầu bị từ chối',
      `Nhà mạng Số văn bản Thời điểm từ chối Lý do ${name(danang)} ${doc.R1} 05/05/2003 12:00 ${REASON}`,
      'Trang 1/',
    ];
    for (const line of expected) expect(text).toContain(squash(line));
    for (const outside of ['before', 'atTo']) expect(text).not.toContain(doc[outside]);
  });

  it('writes English labels with lang=en, the data as it is', async () => {
    const text = (await pdfPages((await pdf(`${WINDOW}&lang=en`)).body as Buffer)).join(' ');
    const expected = [
      'Compliance report',
      'Period: from 2003-05-01 07:00 to before 2003-06-01 07:00',
      'Time zone: Asia/Ho_Chi_Minh (UTC+07:00)',
      '1. Summary per ISP',
      `${name(hue)} 2 1 0 0 1 1 50.0 2 h 30 min 2 h 30 min 15 min`,
      `${name(quangtri)} 3 2 0 0 1 1 66.7 52 min 58 min 5 min`,
      `${doc.R1} — ${TITLE_1}`,
      'ISP Status Acknowledged at Applied at Confirmed at Time to apply Overdue Deadline',
      `${name(danang)} Rejected 2003-05-05 09:10 — 2003-05-05 12:00 — No 2003-05-06 09:00`,
      '3. Overdue assignments',
      `${name(quangtri)} ${doc.R1} 2003-05-05 09:00 2003-05-06 09:00 Pending 39 d 22 h`,
      '4. Rejections',
      `${name(danang)} ${doc.R1} 2003-05-05 12:00 ${REASON}`,
      'Page 1 of ',
    ];
    for (const line of expected) expect(text).toContain(squash(line));
    for (const vi of ['Báo cáo tuân thủ', 'Nhà mạng', 'Quá hạn', 'Thời điểm xác nhận']) {
      expect(text).not.toContain(vi);
    }
  });

  /** The pages' text without the footer's checkpoint line (each export makes a new one). */
  const textOf = async (body: Buffer) =>
    (await pdfPages(body)).map((page) => page.replace(/Audit checkpoint.*?…, \S+/g, ''));

  it('is Vietnamese by default', async () => {
    const res = await pdf(WINDOW.replace('&', '&lang=vi&'));
    const byDefault = await pdf(WINDOW);
    expect(await textOf(byDefault.body as Buffer)).toEqual(await textOf(res.body as Buffer));
  });

  it('prints on every page the signed checkpoint made for the export', async () => {
    const body = (await pdf(WINDOW)).body as Buffer;
    const [latest] = await t.app
      .get(DataSource)
      .query<{ size: string; head: Buffer }[]>(
        `SELECT size, head FROM audit_checkpoints WHERE reason = 'export' ORDER BY id DESC LIMIT 1`,
      );
    const pages = await pdfPages(body);
    for (const page of pages) {
      expect(squash(page)).toContain(
        squash(`#${latest.size}, head ${latest.head.toString('hex').slice(0, 16)}…`),
      );
    }
  });

  it('says so when no request was published in the period', async () => {
    const pages = await pdfPages((await pdf('from=2003-01-01&to=2003-02-01')).body as Buffer);
    const text = pages.join(' ');
    expect(text).toContain('Số yêu cầu chặn ban hành trong kỳ: 0');
    expect(text).toContain('Không có yêu cầu chặn nào được ban hành trong kỳ này.');
    expect(text).toContain('Không có nhà mạng nào được giao yêu cầu trong kỳ này.');
    expect(text).not.toContain('Thời điểm xác nhận');
    const en = await pdfPages((await pdf('from=2003-01-01&to=2003-02-01&lang=en')).body as Buffer);
    expect(en.join(' ')).toContain('No blocking requests were published in this period.');
  });

  it('records each export in the audit trail, with the file’s SHA-256, before sending it', async () => {
    const count = async (): Promise<number> => {
      await t.sealAudit();
      const [{ n }] = await t.app.get(DataSource).query<{ n: string }[]>(
        `SELECT count(*) AS n FROM audit_events WHERE action = 'compliance.report_export'
            AND actor_id = $1`,
        [analyst.id],
      );
      return Number(n);
    };
    const before = await count();
    const res = await pdf(`${WINDOW}&lang=en`);
    expect(await count()).toBe(before + 1);
    const [event] = await t.app.get(DataSource).query<
      {
        actor_type: string;
        roles: string[];
        object_type: string;
        object_id: string | null;
        summary: Record<string, unknown>;
        request_id: string | null;
      }[]
    >(
      `SELECT actor_type, roles, object_type, object_id, summary, request_id FROM audit_events
        WHERE action = 'compliance.report_export' AND actor_id = $1 ORDER BY id DESC LIMIT 1`,
      [analyst.id],
    );
    expect(event).toEqual({
      actor_type: 'user',
      roles: ['analyst'],
      object_type: 'compliance_report',
      object_id: null,
      summary: {
        from: '2003-05-01T00:00:00.000Z',
        to: '2003-06-01T00:00:00.000Z',
        lang: 'en',
        format: 'pdf',
        requests: 3,
        sha256: createHash('sha256')
          .update(res.body as Buffer)
          .digest('hex'),
        checkpointSize: expect.any(Number),
      },
      request_id: res.headers['x-request-id'],
    });
    // A refused request is not an export.
    await get(`compliance/report.pdf?${WINDOW}&lang=fr`).expect(status(400));
    expect(await count()).toBe(before + 1);
  });

  it('renders page 1 to a non-blank image (pdftoppm, when installed)', async () => {
    if (!(await hasPdftoppm())) {
      console.warn('Skipping the image check: pdftoppm (poppler-utils) is not on the PATH');
      return;
    }
    const { width, height, pixels } = await renderPageGray((await pdf(WINDOW)).body as Buffer, 1);
    // A4 landscape at 50 dpi.
    expect(width).toBeGreaterThan(height);
    expect(pixels.length).toBe(width * height);
    const dark = pixels.filter((p) => p < 128).length / pixels.length;
    expect(dark).toBeGreaterThan(0.005);
    expect(dark).toBeLessThan(0.5);
  });

  it('is for the Department and auditors: ISPs get 403, no token 401', async () => {
    for (const who of [token.admin, token.approver, token.auditor]) {
      await pdf(WINDOW, who);
    }
    for (const who of [token.ispClient, ispOperator]) {
      await get(`compliance/report.pdf?${WINDOW}`, who).expect(status(403));
    }
    await request(t.server).get(`/api/v1/compliance/report.pdf?${WINDOW}`).expect(401);
  });

  it.each([
    ['from=yesterday', 'from'],
    ['to=2003-13-01', 'to'],
    ['from=2003-05-01T00:00:00', 'from'],
    [`from=${TO}&to=${FROM}`, 'from'],
    ['from=2002-01-01&to=2003-06-01', 'to'],
    [`${WINDOW}&lang=fr`, 'lang'],
    [`${WINDOW}&lang=VI`, 'lang'],
    [`${WINDOW}&lang=`, 'lang'],
    [`${WINDOW}&format=pdf`, 'format'],
  ])('refuses %s with a 400 problem naming %s', async (query, field) => {
    const res = await get(`compliance/report.pdf?${query}`).expect(status(400));
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 400, type: 'urn:threat-exchange:problem:validation' });
    expect((res.body['invalid-params'] as { name: string }[]).map((p) => p.name)).toEqual([field]);
  });
});
