import type { CaseStatus } from '#src/response/cases/cases.repository.js';

export const LIST_LANGUAGES = ['vi', 'en'] as const;
export type ListLanguage = (typeof LIST_LANGUAGES)[number];

/** The words of the published list (PDF and CSV headers), per language. */
export interface ListLabels {
  title: string;
  subtitle: string;
  generatedAt: string;
  timeZone: string;
  total: string;
  truncated: (shown: number) => string;
  none: string;
  page: (n: number, total: number) => string;
  number: string;
  unit: string;
  shortCode: string;
  infectedAddresses: string;
  c2Count: string;
  since: string;
  lastSeen: string;
  status: string;
  deadline: string;
  statuses: Record<Exclude<CaseStatus, 'closed'>, string>;
  dateOrder: 'dmy' | 'ymd';
}

const vi: ListLabels = {
  title: 'Danh sách đơn vị có kết nối đến mạng máy tính ma (botnet)',
  subtitle: 'Các đơn vị có hồ sơ kết nối botnet chưa đóng',
  generatedAt: 'Thời điểm lập',
  timeZone: 'Múi giờ: Asia/Ho_Chi_Minh (UTC+07:00) cho mọi thời điểm trong danh sách',
  total: 'Số đơn vị',
  truncated: (n) => `Danh sách chỉ nêu ${n} đơn vị đầu tiên.`,
  none: 'Không có đơn vị nào có hồ sơ kết nối botnet chưa đóng.',
  page: (n, total) => `Trang ${n}/${total}`,
  number: 'STT',
  unit: 'Đơn vị',
  shortCode: 'Mã đơn vị',
  infectedAddresses: 'Số địa chỉ bị nhiễm',
  c2Count: 'Số máy chủ điều khiển',
  since: 'Ghi nhận từ',
  lastSeen: 'Lần cuối ghi nhận',
  status: 'Trạng thái',
  deadline: 'Hạn xử lý',
  statuses: {
    open: 'Chưa tiếp nhận',
    acknowledged: 'Đang xử lý',
    remediated: 'Đã báo cáo khắc phục',
  },
  dateOrder: 'dmy',
};

const en: ListLabels = {
  title: 'Units with connections to botnets',
  subtitle: 'Units with an open botnet connection case',
  generatedAt: 'Generated at',
  timeZone: 'Time zone: Asia/Ho_Chi_Minh (UTC+07:00), for every time in this list',
  total: 'Units',
  truncated: (n) => `Only the first ${n} units are listed.`,
  none: 'No unit has an open botnet connection case.',
  page: (n, total) => `Page ${n} of ${total}`,
  number: 'No.',
  unit: 'Unit',
  shortCode: 'Unit code',
  infectedAddresses: 'Infected addresses',
  c2Count: 'C2 servers',
  since: 'Since',
  lastSeen: 'Last seen',
  status: 'Status',
  deadline: 'Deadline',
  statuses: {
    open: 'Not acknowledged',
    acknowledged: 'In progress',
    remediated: 'Remediation reported',
  },
  dateOrder: 'ymd',
};

export const LIST_LABELS: Record<ListLanguage, ListLabels> = { vi, en };

const parts = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Asia/Ho_Chi_Minh',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/** "05/05/2003 09:00" (vi) or "2003-05-05 09:00" (en), in Asia/Ho_Chi_Minh. */
export function listTime(date: Date, lang: ListLanguage): string {
  const p = Object.fromEntries(parts.formatToParts(date).map((x) => [x.type, x.value])) as Record<
    string,
    string
  >;
  return LIST_LABELS[lang].dateOrder === 'dmy'
    ? `${p.day}/${p.month}/${p.year} ${p.hour}:${p.minute}`
    : `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}
