import type { AssignmentStatus } from '#src/obligations/assignments/assignment.entity.js';
import type { RequestStatus } from '#src/publishing/index.js';

/** The languages of the compliance PDF. */
export const PDF_LANGUAGES = ['vi', 'en'] as const;
export type PdfLanguage = (typeof PDF_LANGUAGES)[number];

/** The zone every time of the PDF is shown in (Vietnam has no daylight saving time). */
export const PDF_TIME_ZONE = 'Asia/Ho_Chi_Minh';

/** Every text of the compliance PDF, in one place per language. */
export interface PdfLabels {
  title: string;
  subtitle: string;
  department: string;
  period: string;
  /** "from {from} to before {to}". */
  periodRange: (from: string, to: string) => string;
  generatedAt: string;
  timeZone: string;
  requestCount: string;
  page: (n: number, total: number) => string;

  summaryHeading: string;
  summaryNote: string;
  noIsps: string;
  isp: string;
  assignments: string;
  applied: string;
  partiallyApplied: string;
  rejected: string;
  open: string;
  overdue: string;
  onTimePercent: string;
  medianToApply: string;
  p90ToApply: string;
  medianToAcknowledge: string;

  requestsHeading: string;
  noRequests: string;
  noAssignments: string;
  documentNumber: string;
  publishedAt: string;
  deadline: string;
  status: string;
  acknowledgedAt: string;
  appliedAt: string;
  closedAt: string;
  timeToApply: string;
  overdueNote: string;
  yes: string;
  no: string;

  overdueHeading: string;
  noOverdue: string;
  overdueBy: string;

  rejectionsHeading: string;
  noRejections: string;
  rejectedAt: string;
  reason: string;

  assignmentStatus: Record<AssignmentStatus, string>;
  requestStatus: Partial<Record<RequestStatus, string>>;
  /** Units of durations: days, hours, minutes, seconds. */
  units: { d: string; h: string; min: string; s: string };
  /** Decimal separator of percentages. */
  decimal: string;
  /** 'dmy' (31/12/2026 23:59) or 'ymd' (2026-12-31 23:59). */
  dateOrder: 'dmy' | 'ymd';
}

const vi: PdfLabels = {
  title: 'Báo cáo tuân thủ',
  subtitle: 'Yêu cầu chặn và xác nhận của các nhà mạng',
  department: 'Đơn vị',
  period: 'Kỳ báo cáo',
  periodRange: (from, to) => `từ ${from} đến trước ${to}`,
  generatedAt: 'Thời điểm lập báo cáo',
  timeZone: 'Múi giờ: Asia/Ho_Chi_Minh (UTC+07:00), áp dụng cho mọi thời điểm trong báo cáo',
  requestCount: 'Số yêu cầu chặn ban hành trong kỳ',
  page: (n, total) => `Trang ${n}/${total}`,

  summaryHeading: '1. Tổng hợp theo nhà mạng',
  summaryNote:
    'Chỉ liệt kê các nhà mạng được giao ít nhất một yêu cầu trong kỳ. Đúng hạn: lần thực hiện đầu tiên không muộn hơn hạn xử lý, tính trên các yêu cầu đã đóng hoặc đã quá hạn. Thời gian thực hiện và tiếp nhận tính từ thời điểm ban hành.',
  noIsps: 'Không có nhà mạng nào được giao yêu cầu trong kỳ này.',
  isp: 'Nhà mạng',
  assignments: 'Được giao',
  applied: 'Đã thực hiện',
  partiallyApplied: 'Thực hiện một phần',
  rejected: 'Từ chối',
  open: 'Đang mở',
  overdue: 'Quá hạn',
  onTimePercent: 'Đúng hạn (%)',
  medianToApply: 'Trung vị thời gian thực hiện',
  p90ToApply: 'P90 thời gian thực hiện',
  medianToAcknowledge: 'Trung vị thời gian tiếp nhận',

  requestsHeading: '2. Các yêu cầu chặn ban hành trong kỳ',
  noRequests: 'Không có yêu cầu chặn nào được ban hành trong kỳ này.',
  noAssignments: 'Yêu cầu này không được giao cho nhà mạng nào.',
  documentNumber: 'Số văn bản',
  publishedAt: 'Ban hành lúc',
  deadline: 'Hạn xử lý',
  status: 'Trạng thái',
  acknowledgedAt: 'Thời điểm tiếp nhận',
  appliedAt: 'Thời điểm thực hiện',
  closedAt: 'Thời điểm xác nhận',
  timeToApply: 'Thời gian thực hiện',
  overdueNote:
    'Quá hạn: chưa thực hiện hoặc từ chối và đã qua hạn xử lý tại thời điểm lập báo cáo.',
  yes: 'Có',
  no: 'Không',

  overdueHeading: '3. Yêu cầu quá hạn',
  noOverdue: 'Không có yêu cầu nào quá hạn.',
  overdueBy: 'Trễ hạn',

  rejectionsHeading: '4. Yêu cầu bị từ chối',
  noRejections: 'Không có yêu cầu nào bị từ chối.',
  rejectedAt: 'Thời điểm từ chối',
  reason: 'Lý do',

  assignmentStatus: {
    pending: 'Chờ tiếp nhận',
    acknowledged: 'Đã tiếp nhận',
    applied: 'Đã thực hiện',
    partially_applied: 'Thực hiện một phần',
    rejected: 'Từ chối',
    withdrawn: 'Đã thu hồi',
  },
  requestStatus: {
    published: 'Đã ban hành',
    completed: 'Đã hoàn thành',
    withdrawn: 'Đã thu hồi',
  },
  units: { d: 'ngày', h: 'giờ', min: 'phút', s: 'giây' },
  decimal: ',',
  dateOrder: 'dmy',
};

const en: PdfLabels = {
  title: 'Compliance report',
  subtitle: 'Blocking requests and the ISPs’ confirmations',
  department: 'Department',
  period: 'Period',
  periodRange: (from, to) => `from ${from} to before ${to}`,
  generatedAt: 'Generated at',
  timeZone: 'Time zone: Asia/Ho_Chi_Minh (UTC+07:00), for every time in this report',
  requestCount: 'Blocking requests published in the period',
  page: (n, total) => `Page ${n} of ${total}`,

  summaryHeading: '1. Summary per ISP',
  summaryNote:
    'Only the ISPs with at least one assignment in the period are listed. On time: the first application at or before the deadline, out of the assignments closed or past their deadline. Times to apply and to acknowledge count from the publication.',
  noIsps: 'No ISP had an assignment in this period.',
  isp: 'ISP',
  assignments: 'Assignments',
  applied: 'Applied',
  partiallyApplied: 'Partially applied',
  rejected: 'Rejected',
  open: 'Open',
  overdue: 'Overdue',
  onTimePercent: 'On time (%)',
  medianToApply: 'Median time to apply',
  p90ToApply: 'P90 time to apply',
  medianToAcknowledge: 'Median time to acknowledge',

  requestsHeading: '2. Blocking requests published in the period',
  noRequests: 'No blocking requests were published in this period.',
  noAssignments: 'This request was assigned to no ISP.',
  documentNumber: 'Document number',
  publishedAt: 'Published at',
  deadline: 'Deadline',
  status: 'Status',
  acknowledgedAt: 'Acknowledged at',
  appliedAt: 'Applied at',
  closedAt: 'Confirmed at',
  timeToApply: 'Time to apply',
  overdueNote:
    'Overdue: neither applied nor rejected, and past its deadline when the report was generated.',
  yes: 'Yes',
  no: 'No',

  overdueHeading: '3. Overdue assignments',
  noOverdue: 'No assignment is overdue.',
  overdueBy: 'Overdue by',

  rejectionsHeading: '4. Rejections',
  noRejections: 'No assignment was rejected.',
  rejectedAt: 'Rejected at',
  reason: 'Reason',

  assignmentStatus: {
    pending: 'Pending',
    acknowledged: 'Acknowledged',
    applied: 'Applied',
    partially_applied: 'Partially applied',
    rejected: 'Rejected',
    withdrawn: 'Withdrawn',
  },
  requestStatus: {
    published: 'Published',
    completed: 'Completed',
    withdrawn: 'Withdrawn',
  },
  units: { d: 'd', h: 'h', min: 'min', s: 's' },
  decimal: '.',
  dateOrder: 'ymd',
};

export const PDF_LABELS: Record<PdfLanguage, PdfLabels> = { vi, en };

/** The audit checkpoint line of the footer (the same in both languages). */
export const CHECKPOINT_LABEL = 'Audit checkpoint / Điểm kiểm tra nhật ký';
