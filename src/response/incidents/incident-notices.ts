import type { IncidentSeverity } from '#src/response/incidents/dto/incident.dto.js';

/** What a notice mail says about a report. */
export interface NoticeSubject {
  reference: string;
  title: string;
  severity: IncidentSeverity;
  dueAt: Date;
}

export interface Notice {
  subject: string;
  body: string;
}

const SEVERITY_VI: Record<IncidentSeverity, string> = {
  low: 'thấp',
  medium: 'trung bình',
  high: 'cao',
  critical: 'khẩn cấp',
};

/** The notices' kinds, each in Vietnamese then English. */
const TEXTS = {
  created: {
    vi: 'Có báo cáo sự cố mới gửi đội ứng cứu sự cố.',
    en: 'A new incident report was filed with the response team.',
  },
  assigned: {
    vi: 'Báo cáo sự cố đã được giao cho một cán bộ ứng cứu xử lý.',
    en: 'The incident report was assigned to a responder.',
  },
  assignedToYou: {
    vi: 'Báo cáo sự cố này đã được giao cho bạn xử lý.',
    en: 'This incident report was assigned to you.',
  },
  informationRequested: {
    vi: 'Đội ứng cứu sự cố đề nghị bổ sung thông tin:',
    en: 'The response team asks for more information:',
  },
  informationProvided: {
    vi: 'Đơn vị báo cáo đã bổ sung thông tin:',
    en: 'The reporter provided more information:',
  },
  caseLinked: {
    vi: 'Báo cáo sự cố đã được gắn với một vụ việc.',
    en: 'The incident report was linked to a case.',
  },
  requestDrafted: {
    vi: 'Đã lập dự thảo yêu cầu chặn từ các dấu hiệu của báo cáo.',
    en: 'A draft blocking request was made from the report’s indicators.',
  },
  resolved: { vi: 'Sự cố đã được xử lý xong:', en: 'The incident was resolved:' },
  closed: { vi: 'Báo cáo sự cố đã được đóng.', en: 'The incident report was closed.' },
  reminder: {
    vi: 'Nhắc việc: báo cáo sự cố sắp đến hạn xử lý.',
    en: 'Reminder: the incident report is due soon.',
  },
  overdue: {
    vi: 'Quá hạn: báo cáo sự cố chưa được xử lý đúng hạn.',
    en: 'Overdue: the incident report was not resolved in time.',
  },
} as const;
export type NoticeKind = keyof typeof TEXTS;

const SUBJECTS: Record<NoticeKind, string> = {
  created: 'Báo cáo sự cố mới / New incident report',
  assigned: 'Đã phân công / Assigned',
  assignedToYou: 'Giao cho bạn / Assigned to you',
  informationRequested: 'Đề nghị bổ sung thông tin / Information requested',
  informationProvided: 'Đã bổ sung thông tin / Information provided',
  caseLinked: 'Gắn vụ việc / Case linked',
  requestDrafted: 'Dự thảo yêu cầu chặn / Blocking request drafted',
  resolved: 'Đã xử lý / Resolved',
  closed: 'Đã đóng / Closed',
  reminder: 'Sắp đến hạn / Due soon',
  overdue: 'Quá hạn / Overdue',
};

/** A plain-text notice in Vietnamese and English: the report, what happened, an optional message. */
export function notice(kind: NoticeKind, about: NoticeSubject, message?: string): Notice {
  const text = TEXTS[kind];
  const due = about.dueAt.toISOString();
  const quoted = message === undefined ? '' : `\n\n${message}\n`;
  return {
    subject: `[${about.reference}] ${SUBJECTS[kind]}: ${about.title}`,
    body:
      `${text.vi}\n` +
      `Mã: ${about.reference}\nTiêu đề: ${about.title}\n` +
      `Mức độ: ${SEVERITY_VI[about.severity]}\nHạn xử lý: ${due}` +
      quoted +
      `\n\n---\n\n` +
      `${text.en}\n` +
      `Reference: ${about.reference}\nTitle: ${about.title}\n` +
      `Severity: ${about.severity}\nDue: ${due}` +
      quoted,
  };
}
