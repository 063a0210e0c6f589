import { describe, expect, it } from '@jest/globals';
import {
  formatDuration,
  formatTime,
  renderCompliancePdf,
  type CompliancePdfData,
  type PdfAssignment,
  type PdfIspSummary,
} from '#src/obligations/compliance/compliance-pdf.js';
import { pdfInfo, pdfPages, squash } from '#test/support/pdf-text.js';

const at = (iso: string): Date => new Date(iso);
const GENERATED = at('2003-06-15T03:04:05Z');
const PUBLISHED = at('2003-05-05T02:00:00Z');
const TITLE = 'Yêu cầu chặn tên miền lừa đảo – Quyết định số 12/QĐ-STTTT';
const LONG_TITLE = (
  'Yêu cầu chặn khẩn cấp các tên miền, địa chỉ IP và đường dẫn giả mạo Cổng dịch vụ công quốc gia, ' +
  'ngân hàng thương mại và ví điện tử, phát tán mã độc đánh cắp thông tin tài khoản của người dân ' +
  'trên địa bàn tỉnh Thừa Thiên Huế, theo đề nghị của Công an tỉnh và Trung tâm Giám sát an toàn ' +
  'không gian mạng quốc gia, kèm danh sách bổ sung đợt hai'
).slice(0, 300);

const summary = (name: string, code: string, over: Partial<PdfIspSummary> = {}): PdfIspSummary => ({
  organization: { id: code, name, shortCode: code },
  assignments: 1,
  applied: 1,
  partiallyApplied: 0,
  rejected: 0,
  open: 0,
  overdue: 0,
  onTimePercent: 100,
  medianSecondsToApply: 9000,
  p90SecondsToApply: 9000,
  medianSecondsToAcknowledge: 900,
  ...over,
});

const assignment = (
  name: string,
  code: string,
  over: Partial<PdfAssignment> = {},
): PdfAssignment => ({
  isp: { name, shortCode: code },
  status: 'applied',
  deadlineAt: at('2003-05-06T02:00:00Z'),
  acknowledgedAt: at('2003-05-05T02:15:00Z'),
  appliedAt: at('2003-05-05T04:30:00Z'),
  closedAt: at('2003-05-05T04:35:00Z'),
  secondsToApply: 9000,
  overdue: false,
  rejectedAt: null,
  reason: null,
  ...over,
});

const data = (over: Partial<CompliancePdfData> = {}): CompliancePdfData => ({
  department: 'Sở Thông tin và Truyền thông',
  from: at('2003-05-01T00:00:00Z'),
  to: at('2003-06-01T00:00:00Z'),
  isps: [
    summary('Công ty Viễn thông Huế', 'HUE'),
    summary('Công ty Viễn thông Đà Nẵng', 'DN', {
      applied: 0,
      rejected: 1,
      onTimePercent: 0,
      medianSecondsToApply: null,
      p90SecondsToApply: null,
    }),
  ],
  requests: [
    {
      documentNumber: '12/QĐ-STTTT',
      title: TITLE,
      status: 'published',
      publishedAt: PUBLISHED,
      deadlineAt: at('2003-05-06T02:00:00Z'),
      assignments: [
        assignment('Công ty Viễn thông Huế', 'HUE'),
        assignment('Công ty Viễn thông Đà Nẵng', 'DN', {
          status: 'rejected',
          appliedAt: null,
          secondsToApply: null,
          rejectedAt: at('2003-05-05T05:00:00Z'),
          reason: 'Tên miền thuộc cơ quan nhà nước',
        }),
      ],
    },
  ],
  ...over,
});

describe('durations and times in the compliance PDF', () => {
  it.each([
    [9000, '2 giờ 30 phút', '2 h 30 min'],
    [3600, '1 giờ', '1 h'],
    [45, '45 giây', '45 s'],
    [60, '1 phút', '1 min'],
    [93_784, '1 ngày 2 giờ', '1 d 2 h'],
    [86_400 * 3 + 59, '3 ngày', '3 d'],
    [-600, '−10 phút', '−10 min'],
  ])('%d s is "%s" / "%s"', (seconds, vi, en) => {
    expect(squash(formatDuration(seconds, 'vi'))).toBe(vi);
    expect(squash(formatDuration(seconds, 'en'))).toBe(en);
  });

  it('has a dash for no duration', () => {
    expect(formatDuration(null, 'vi')).toBe('—');
  });

  it('shows times in Asia/Ho_Chi_Minh (UTC+7)', () => {
    expect(formatTime(at('2003-05-05T17:30:00Z'), 'vi')).toBe('06/05/2003 00:30');
    expect(formatTime(at('2003-05-05T17:30:09Z'), 'en', true)).toBe('2003-05-06 00:30:09');
  });
});

describe('renderCompliancePdf', () => {
  it('writes the report in Vietnamese, diacritics extracting exactly', async () => {
    const text = (
      await pdfPages(await renderCompliancePdf(data(), 'vi', { generatedAt: GENERATED }))
    ).join(' ');
    for (const expected of [
      'Báo cáo tuân thủ',
      'Sở Thông tin và Truyền thông',
      'Kỳ báo cáo: từ 01/05/2003 07:00 đến trước 01/06/2003 07:00',
      'Thời điểm lập báo cáo: 15/06/2003 10:04:05',
      'Asia/Ho_Chi_Minh',
      '1. Tổng hợp theo nhà mạng',
      'Công ty Viễn thông Huế (HUE) 1 1 0 0 0 0 100,0 2 giờ 30 phút 2 giờ 30 phút 15 phút',
      `12/QĐ-STTTT — ${TITLE}`,
      'Ban hành lúc: 05/05/2003 09:00',
      'Thời điểm xác nhận',
      'Công ty Viễn thông Đà Nẵng (DN) Từ chối 05/05/2003 09:15 — 05/05/2003 11:35 — Không 06/05/2003 09:00',
      'Không có yêu cầu nào quá hạn.',
      '4. Yêu cầu bị từ chối',
      'Tên miền thuộc cơ quan nhà nước',
      'Trang 1/',
    ]) {
      expect(text).toContain(squash(expected));
    }
    expect(text).not.toContain('Audit checkpoint');
  });

  it('writes English labels with lang=en', async () => {
    const text = (
      await pdfPages(await renderCompliancePdf(data(), 'en', { generatedAt: GENERATED }))
    ).join(' ');
    for (const expected of [
      'Compliance report',
      'Period: from 2003-05-01 07:00 to before 2003-06-01 07:00',
      '1. Summary per ISP',
      'Công ty Viễn thông Huế (HUE) 1 1 0 0 0 0 100.0 2 h 30 min 2 h 30 min 15 min',
      'Confirmed at',
      'Rejected',
      'No assignment is overdue.',
      'Tên miền thuộc cơ quan nhà nước',
      'Page 1 of ',
    ]) {
      expect(text).toContain(squash(expected));
    }
    expect(text).not.toContain('Báo cáo tuân thủ');
  });

  it('says so when the period has no requests', async () => {
    const pages = await pdfPages(
      await renderCompliancePdf(data({ isps: [], requests: [] }), 'vi', { generatedAt: GENERATED }),
    );
    expect(pages).toHaveLength(1);
    expect(pages[0]).toContain('Không có yêu cầu chặn nào được ban hành trong kỳ này.');
    expect(pages[0]).toContain('Không có nhà mạng nào được giao yêu cầu trong kỳ này.');
    expect(pages[0]).toContain('Số yêu cầu chặn ban hành trong kỳ: 0');
  });

  it('breaks a long table across pages with its header repeated, and wraps long text', async () => {
    const names = Array.from(
      { length: 30 },
      (_, i) => `Tổng công ty Viễn thông và Truyền hình cáp số ${i + 1} miền Trung – Tây Nguyên`,
    );
    const request = {
      ...data().requests[0],
      title: LONG_TITLE,
      assignments: names.map((name, i) =>
        assignment(name, `ISP${i + 1}`, i % 3 === 0 ? { status: 'pending', overdue: true } : {}),
      ),
    };
    const bytes = await renderCompliancePdf(
      data({ isps: names.map((n, i) => summary(n, `ISP${i + 1}`)), requests: [request] }),
      'vi',
      {
        generatedAt: GENERATED,
        checkpoint: {
          size: 1234,
          head: 'ab'.repeat(32),
          time: '2003-06-15T03:00:00.000Z',
          keyId: 'k1',
        },
      },
    );
    const pages = await pdfPages(bytes);
    expect(pages.length).toBeGreaterThan(3);
    const text = pages.join(' ');
    expect(text).toContain(squash(`12/QĐ-STTTT — ${LONG_TITLE}`));
    for (const [i, name] of names.entries()) {
      // Every ISP appears in the summary, in the request's table, and (a third) as overdue.
      expect(text.split(`${name} (ISP${i + 1})`).length - 1).toBe(i % 3 === 0 ? 3 : 2);
    }
    // Each page holding rows of the request's table starts them under its header.
    const rowHeader =
      'Nhà mạng Trạng thái Thời điểm tiếp nhận Thời điểm thực hiện Thời điểm xác nhận';
    const withRows = pages.filter((p) => /\(ISP\d+\) (Đã thực hiện|Chờ tiếp nhận)/.test(p));
    expect(withRows.length).toBeGreaterThan(1);
    for (const page of withRows) {
      expect(page.indexOf(rowHeader)).toBeGreaterThanOrEqual(0);
      expect(page.indexOf(rowHeader)).toBeLessThan(page.search(/\(ISP\d+\) (Đã thực hiện|Chờ)/));
    }
    // The checkpoint is in every page's footer.
    for (const [n, page] of pages.entries()) {
      expect(page).toContain(
        `Audit checkpoint / Điểm kiểm tra nhật ký: #1234, head ${'ab'.repeat(8)}…, 2003-06-15T03:00:00.000Z`,
      );
      expect(page).toContain(`Trang ${n + 1}/${pages.length}`);
    }
  });

  it('gives byte-identical files for equal inputs, dated by the generation time', async () => {
    const a = await renderCompliancePdf(data(), 'vi', { generatedAt: GENERATED });
    const b = await renderCompliancePdf(data(), 'vi', { generatedAt: GENERATED });
    expect(a.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(b.equals(a)).toBe(true);
    const later = await renderCompliancePdf(data(), 'vi', {
      generatedAt: new Date(GENERATED.getTime() + 1000),
    });
    expect(later.equals(a)).toBe(false);
    const info = await pdfInfo(a);
    expect(info.CreationDate).toBe('D:20030615030405Z');
    expect(info.ModDate).toBe('D:20030615030405Z');
  });
});
