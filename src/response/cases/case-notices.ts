/**
 * The e-mails about a case: plain text, Vietnamese first and English after, saying what was
 * seen (C2s, how many internal addresses, first and last seen), the deadline, what to do and how
 * to acknowledge. Pure functions of their data.
 */

export type CaseNoticeKind =
  'opened' | 'reopened' | 'reminder' | 'overdue' | 'closed' | 'remediated' | 'overdue-responders';

export interface CaseNoticeData {
  caseId: string;
  unitName: string;
  c2s: { type: string; value: string }[];
  /** More C2s than listed. */
  moreC2s: number;
  addresses: number;
  firstSeen: Date;
  lastSeen: Date;
  deadlineAt: Date;
  /** For `remediated`: what the unit reported. */
  remediationSummary?: string;
  /** For `reopened`: why. */
  reason?: string;
}

const TIME_ZONE = 'Asia/Ho_Chi_Minh';
const parts = new Intl.DateTimeFormat('en-GB', {
  timeZone: TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/** "05/05/2003 09:00 (UTC+07:00)" (vi) or "2003-05-05 09:00 (UTC+07:00)" (en). */
export function noticeTime(date: Date, lang: 'vi' | 'en'): string {
  const p = Object.fromEntries(parts.formatToParts(date).map((x) => [x.type, x.value])) as Record<
    string,
    string
  >;
  const day = lang === 'vi' ? `${p.day}/${p.month}/${p.year}` : `${p.year}-${p.month}-${p.day}`;
  return `${day} ${p.hour}:${p.minute} (UTC+07:00)`;
}

const SUBJECTS: Record<CaseNoticeKind, (unit: string) => string> = {
  opened: (u) =>
    `[Cảnh báo] Phát hiện kết nối đến mạng máy tính ma (botnet) — ${u} / Botnet connections detected`,
  reopened: (u) => `[Cảnh báo] Hồ sơ kết nối botnet được mở lại — ${u} / Botnet case reopened`,
  reminder: (u) => `[Nhắc hạn] Hồ sơ kết nối botnet sắp đến hạn — ${u} / Case deadline approaching`,
  overdue: (u) => `[Quá hạn] Hồ sơ kết nối botnet đã quá hạn — ${u} / Case overdue`,
  'overdue-responders': (u) =>
    `[Quá hạn] Đơn vị chưa xử lý kết nối botnet — ${u} / Unit case overdue`,
  closed: (u) => `[Đóng hồ sơ] Hồ sơ kết nối botnet đã đóng — ${u} / Botnet case closed`,
  remediated: (u) =>
    `[Báo cáo khắc phục] Đơn vị đã báo cáo khắc phục — ${u} / Remediation reported`,
};

function c2Lines(d: CaseNoticeData, more: (n: number) => string): string[] {
  const lines = d.c2s.map((c) => `  - ${c.value} (${c.type})`);
  if (d.moreC2s > 0) lines.push(`  - ${more(d.moreC2s)}`);
  return lines;
}

function vietnamese(kind: CaseNoticeKind, d: CaseNoticeData): string[] {
  const intro: Record<CaseNoticeKind, string> = {
    opened: `Sở ghi nhận các địa chỉ trong mạng của đơn vị ${d.unitName} có kết nối đến máy chủ điều khiển mạng máy tính ma (botnet C2).`,
    reopened: `Hồ sơ kết nối botnet của đơn vị ${d.unitName} được mở lại vì có kết nối mới${d.reason ? ` (${d.reason === 'new connection after remediation' ? 'kết nối mới sau khi đã báo cáo khắc phục' : d.reason})` : ''}.`,
    reminder: `Hồ sơ kết nối botnet của đơn vị ${d.unitName} sắp đến hạn xử lý.`,
    overdue: `Hồ sơ kết nối botnet của đơn vị ${d.unitName} đã quá hạn xử lý.`,
    'overdue-responders': `Đơn vị ${d.unitName} chưa báo cáo khắc phục hồ sơ kết nối botnet trước hạn.`,
    closed: `Hồ sơ kết nối botnet của đơn vị ${d.unitName} đã được đóng: không có kết nối mới trong thời gian theo dõi sau khi khắc phục.`,
    remediated: `Đơn vị ${d.unitName} đã báo cáo khắc phục hồ sơ kết nối botnet.`,
  };
  const lines = [
    intro[kind],
    '',
    'Máy chủ điều khiển (C2):',
    ...c2Lines(d, (n) => `và ${n} máy chủ khác`),
    `Số địa chỉ nội bộ có kết nối: ${d.addresses}`,
    `Lần đầu ghi nhận: ${noticeTime(d.firstSeen, 'vi')}`,
    `Lần cuối ghi nhận: ${noticeTime(d.lastSeen, 'vi')}`,
  ];
  if (kind !== 'closed') lines.push(`Hạn xử lý: ${noticeTime(d.deadlineAt, 'vi')}`);
  if (kind === 'remediated' && d.remediationSummary) {
    lines.push('', `Nội dung khắc phục: ${d.remediationSummary}`);
  }
  if (kind === 'opened' || kind === 'reopened' || kind === 'reminder' || kind === 'overdue') {
    lines.push(
      '',
      'Đề nghị đơn vị:',
      '  1. Xác nhận đã tiếp nhận hồ sơ (POST /api/v1/cases/' +
        d.caseId +
        '/acknowledge, hoặc trên cổng thông tin).',
      '  2. Rà soát, cô lập và làm sạch các máy có địa chỉ nêu trên; vá lỗ hổng, cài đặt lại nếu cần, đổi mật khẩu.',
      '  3. Báo cáo kết quả khắc phục (POST /api/v1/cases/' + d.caseId + '/remediation).',
      'Hồ sơ được đóng khi không còn kết nối mới trong thời gian theo dõi sau khi khắc phục.',
    );
  }
  lines.push(`Mã hồ sơ: ${d.caseId}`);
  return lines;
}

function english(kind: CaseNoticeKind, d: CaseNoticeData): string[] {
  const intro: Record<CaseNoticeKind, string> = {
    opened: `The Department has seen addresses in the networks of ${d.unitName} connecting to botnet command-and-control servers (C2).`,
    reopened: `The botnet case of ${d.unitName} was reopened by a new connection${d.reason ? ` (${d.reason})` : ''}.`,
    reminder: `The deadline of the botnet case of ${d.unitName} is approaching.`,
    overdue: `The botnet case of ${d.unitName} is past its deadline.`,
    'overdue-responders': `${d.unitName} has not reported remediation of its botnet case by the deadline.`,
    closed: `The botnet case of ${d.unitName} is closed: no new connection was seen during the quiet period after remediation.`,
    remediated: `${d.unitName} reported remediation of its botnet case.`,
  };
  const lines = [
    intro[kind],
    '',
    'C2 servers:',
    ...c2Lines(d, (n) => `and ${n} more`),
    `Internal addresses with connections: ${d.addresses}`,
    `First seen: ${noticeTime(d.firstSeen, 'en')}`,
    `Last seen: ${noticeTime(d.lastSeen, 'en')}`,
  ];
  if (kind !== 'closed') lines.push(`Deadline: ${noticeTime(d.deadlineAt, 'en')}`);
  if (kind === 'remediated' && d.remediationSummary) {
    lines.push('', `Remediation: ${d.remediationSummary}`);
  }
  if (kind === 'opened' || kind === 'reopened' || kind === 'reminder' || kind === 'overdue') {
    lines.push(
      '',
      'What to do:',
      '  1. Acknowledge the case (POST /api/v1/cases/' +
        d.caseId +
        '/acknowledge, or in the portal).',
      '  2. Find, isolate and clean the machines behind these addresses; patch, reimage if needed, reset credentials.',
      '  3. Report the remediation (POST /api/v1/cases/' + d.caseId + '/remediation).',
      'The case closes once no new connection is seen for the quiet period after remediation.',
    );
  }
  lines.push(`Case: ${d.caseId}`);
  return lines;
}

/** The subject and the bilingual body of a notice. */
export function caseNotice(
  kind: CaseNoticeKind,
  data: CaseNoticeData,
): { subject: string; body: string } {
  return {
    subject: SUBJECTS[kind](data.unitName),
    body: [
      ...vietnamese(kind, data),
      '',
      '— — — English below — — —',
      '',
      ...english(kind, data),
      '',
    ].join('\n'),
  };
}
