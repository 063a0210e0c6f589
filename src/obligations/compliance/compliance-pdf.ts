import { createRequire } from 'node:module';
import PDFDocument from 'pdfkit';
import type { AssignmentStatus } from '#src/obligations/assignments/assignment.entity.js';
import type { RequestStatus } from '#src/publishing/index.js';
import {
  CHECKPOINT_LABEL,
  PDF_LABELS,
  PDF_TIME_ZONE,
  type PdfLabels,
  type PdfLanguage,
} from '#src/obligations/compliance/compliance-pdf.labels.js';
import type { IspCompliance } from '#src/obligations/compliance/dto/compliance.dto.js';

/**
 * The compliance report as a PDF (pdfkit, Be Vietnam Pro embedded as subsets): a pure function of
 * its data, its language and its generation time, so that equal inputs give byte-identical
 * files (the info dates are the generation time, and pdfkit derives the file /ID from them).
 */

const require = createRequire(import.meta.url);
/** The fonts' files, resolved from the package (works from src under Jest and from dist). */
export const FONT_FILES = {
  regular:
    require.resolve('@expo-google-fonts/be-vietnam-pro/400Regular/BeVietnamPro_400Regular.ttf'),
  bold: require.resolve('@expo-google-fonts/be-vietnam-pro/700Bold/BeVietnamPro_700Bold.ttf'),
};

/** The figures of one ISP (those of the JSON report). */
export type PdfIspSummary = Pick<
  IspCompliance,
  | 'organization'
  | 'assignments'
  | 'applied'
  | 'partiallyApplied'
  | 'rejected'
  | 'open'
  | 'overdue'
  | 'onTimePercent'
  | 'medianSecondsToApply'
  | 'p90SecondsToApply'
  | 'medianSecondsToAcknowledge'
>;

/** One ISP's assignment of a request. */
export interface PdfAssignment {
  isp: { name: string; shortCode: string };
  status: AssignmentStatus;
  deadlineAt: Date;
  acknowledgedAt: Date | null;
  appliedAt: Date | null;
  /** When the ISP closed it (its first applied, partially applied or rejected confirmation). */
  closedAt: Date | null;
  /** applied_at − publication, for applied and partially applied ones. */
  secondsToApply: number | null;
  /** Open and past its deadline at the generation time. */
  overdue: boolean;
  /** For rejected ones: the rejecting confirmation's time and reason. */
  rejectedAt: Date | null;
  reason: string | null;
}

export interface PdfRequest {
  documentNumber: string;
  title: string;
  status: RequestStatus;
  publishedAt: Date;
  deadlineAt: Date | null;
  assignments: PdfAssignment[];
}

export interface CompliancePdfData {
  /** The Department's name (its organization). */
  department: string;
  from: Date;
  to: Date;
  /** The ISPs to list in the summary, in order. */
  isps: PdfIspSummary[];
  /** The requests published in [from, to), in order, each with its assignments in order. */
  requests: PdfRequest[];
}

/** A signed checkpoint of the audit trail, printed in every page's footer. */
export interface PdfCheckpoint {
  size: number;
  /** The head hash, hex. */
  head: string;
  time: Date | string;
  keyId: string;
}

export interface PdfRenderOptions {
  generatedAt: Date;
  checkpoint?: PdfCheckpoint;
}

const NBSP = '\u00a0';
const DASH = '—';

/** "2 giờ 30 phút" / "2 h 30 min": the two largest units, seconds only under a minute. */
export function formatDuration(seconds: number | null, lang: PdfLanguage): string {
  if (seconds === null) return DASH;
  const { units } = PDF_LABELS[lang];
  const sign = seconds < 0 ? '−' : '';
  const total = Math.floor(Math.abs(seconds));
  const part = (n: number, unit: string): string => `${n}${NBSP}${unit}`;
  if (total < 60) return sign + part(total, units.s);
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const parts =
    days > 0
      ? [part(days, units.d), hours > 0 ? part(hours, units.h) : '']
      : hours > 0
        ? [part(hours, units.h), minutes > 0 ? part(minutes, units.min) : '']
        : [part(minutes, units.min)];
  return sign + parts.filter(Boolean).join(' ');
}

const timeParts = new Intl.DateTimeFormat('en-GB', {
  timeZone: PDF_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** "05/05/2003 09:00" (vi) or "2003-05-05 09:00" (en), in Asia/Ho_Chi_Minh. */
export function formatTime(date: Date | null, lang: PdfLanguage, withSeconds = false): string {
  if (date === null) return DASH;
  const p = Object.fromEntries(
    timeParts.formatToParts(date).map((x) => [x.type, x.value]),
  ) as Record<string, string>;
  const time = `${p.hour}:${p.minute}${withSeconds ? `:${p.second}` : ''}`;
  return PDF_LABELS[lang].dateOrder === 'dmy'
    ? `${p.day}/${p.month}/${p.year} ${time}`
    : `${p.year}-${p.month}-${p.day} ${time}`;
}

function formatPercent(value: number | null, labels: PdfLabels): string {
  return value === null ? DASH : value.toFixed(1).replace('.', labels.decimal);
}

const ispName = (isp: { name: string; shortCode: string }): string =>
  `${isp.name} (${isp.shortCode})`;

// A4 landscape, in points.
const MARGIN = { top: 40, left: 40, right: 40, bottom: 60 };
const SIZE = { title: 22, heading: 13, body: 9.5, table: 8, footer: 7.5 };
const CELL_PADDING = 3;
const COLORS = {
  text: '#1a1a1a',
  muted: '#555555',
  rule: '#9aa5b1',
  headerFill: '#e6ecf2',
  border: '#8c96a0',
};

interface Column {
  header: string;
  /** A share of the content width. */
  share: number;
  align?: 'left' | 'right' | 'center';
}

/** Draws one report on a pdfkit document. */
class Renderer {
  private readonly labels: PdfLabels;
  private readonly width: number;

  constructor(
    private readonly doc: PDFKit.PDFDocument,
    private readonly lang: PdfLanguage,
  ) {
    this.labels = PDF_LABELS[lang];
    this.width = doc.page.width - MARGIN.left - MARGIN.right;
  }

  private time(date: Date | null, withSeconds = false): string {
    return formatTime(date, this.lang, withSeconds);
  }

  private duration(seconds: number | null): string {
    return formatDuration(seconds, this.lang);
  }

  private regular(size: number = SIZE.body): PDFKit.PDFDocument {
    return this.doc.font(FONT_FILES.regular).fontSize(size).fillColor(COLORS.text);
  }

  private bold(size: number = SIZE.body): PDFKit.PDFDocument {
    return this.doc.font(FONT_FILES.bold).fontSize(size).fillColor(COLORS.text);
  }

  /** A new page unless `height` points are left above the bottom margin. */
  private ensureSpace(height: number): void {
    if (this.doc.y + height > this.doc.page.maxY()) this.doc.addPage();
  }

  private paragraph(text: string, options: { color?: string; size?: number } = {}): void {
    this.regular(options.size)
      .fillColor(options.color ?? COLORS.text)
      .text(text, MARGIN.left, this.doc.y, { width: this.width });
  }

  private heading(text: string): void {
    this.doc.moveDown(0.8);
    // A heading stays with at least a few lines of what follows.
    this.ensureSpace(80);
    this.bold(SIZE.heading).text(text, MARGIN.left, this.doc.y, { width: this.width });
    this.doc.moveDown(0.3);
  }

  /** "Label: value", the label in bold. */
  private field(label: string, value: string): void {
    this.bold().text(`${label}: `, MARGIN.left, this.doc.y, {
      width: this.width,
      continued: true,
    });
    this.regular().text(value);
  }

  titleBlock(data: CompliancePdfData, generatedAt: Date): void {
    const l = this.labels;
    this.bold(11).fillColor(COLORS.muted).text(data.department, MARGIN.left, MARGIN.top, {
      width: this.width,
    });
    this.doc.moveDown(0.4);
    this.bold(SIZE.title).text(l.title, { width: this.width });
    this.regular(12).fillColor(COLORS.muted).text(l.subtitle, { width: this.width });
    this.doc.moveDown(0.6);
    this.field(l.department, data.department);
    this.field(l.period, l.periodRange(this.time(data.from), this.time(data.to)));
    this.field(l.generatedAt, this.time(generatedAt, true));
    this.field(l.requestCount, String(data.requests.length));
    this.paragraph(l.timeZone, { color: COLORS.muted });
    this.doc.moveDown(0.5);
    const y = this.doc.y;
    this.doc
      .save()
      .lineWidth(0.75)
      .strokeColor(COLORS.rule)
      .moveTo(MARGIN.left, y)
      .lineTo(MARGIN.left + this.width, y)
      .stroke()
      .restore();
  }

  summary(isps: PdfIspSummary[]): void {
    const l = this.labels;
    this.heading(l.summaryHeading);
    if (isps.length === 0) {
      this.paragraph(l.noIsps);
      return;
    }
    this.paragraph(l.summaryNote, { color: COLORS.muted, size: SIZE.table });
    this.doc.moveDown(0.4);
    const n = (share: number, header: string): Column => ({ header, share, align: 'right' });
    this.table(
      [
        { header: l.isp, share: 0.2 },
        n(0.08, l.assignments),
        n(0.07, l.applied),
        n(0.08, l.partiallyApplied),
        n(0.06, l.rejected),
        n(0.06, l.open),
        n(0.06, l.overdue),
        n(0.07, l.onTimePercent),
        n(0.1, l.medianToApply),
        n(0.1, l.p90ToApply),
        n(0.12, l.medianToAcknowledge),
      ],
      isps.map((i) => [
        ispName(i.organization),
        String(i.assignments),
        String(i.applied),
        String(i.partiallyApplied),
        String(i.rejected),
        String(i.open),
        String(i.overdue),
        formatPercent(i.onTimePercent, l),
        this.duration(i.medianSecondsToApply),
        this.duration(i.p90SecondsToApply),
        this.duration(i.medianSecondsToAcknowledge),
      ]),
    );
  }

  requests(requests: PdfRequest[]): void {
    const l = this.labels;
    this.heading(l.requestsHeading);
    if (requests.length === 0) {
      this.paragraph(l.noRequests);
      return;
    }
    this.paragraph(l.overdueNote, { color: COLORS.muted, size: SIZE.table });
    for (const r of requests) {
      this.doc.moveDown(0.8);
      // The request's heading stays with its table's header and first row.
      this.ensureSpace(70);
      this.bold(10).text(`${r.documentNumber} — ${r.title}`, MARGIN.left, this.doc.y, {
        width: this.width,
      });
      this.regular(SIZE.table)
        .fillColor(COLORS.muted)
        .text(
          [
            `${l.publishedAt}: ${this.time(r.publishedAt)}`,
            `${l.deadline}: ${this.time(r.deadlineAt)}`,
            `${l.status}: ${l.requestStatus[r.status] ?? r.status}`,
          ].join('   ·   '),
          { width: this.width },
        );
      this.doc.moveDown(0.3);
      if (r.assignments.length === 0) {
        this.paragraph(l.noAssignments);
        continue;
      }
      this.table(
        [
          { header: l.isp, share: 0.23 },
          { header: l.status, share: 0.11 },
          { header: l.acknowledgedAt, share: 0.12 },
          { header: l.appliedAt, share: 0.12 },
          { header: l.closedAt, share: 0.12 },
          { header: l.timeToApply, share: 0.11, align: 'right' },
          { header: l.overdue, share: 0.07, align: 'center' },
          { header: l.deadline, share: 0.12 },
        ],
        r.assignments.map((a) => [
          ispName(a.isp),
          l.assignmentStatus[a.status],
          this.time(a.acknowledgedAt),
          this.time(a.appliedAt),
          this.time(a.closedAt),
          this.duration(a.secondsToApply),
          a.overdue ? l.yes : l.no,
          this.time(a.deadlineAt),
        ]),
      );
    }
  }

  overdue(requests: PdfRequest[], generatedAt: Date): void {
    const l = this.labels;
    this.heading(l.overdueHeading);
    const rows = requests
      .flatMap((r) => r.assignments.filter((a) => a.overdue).map((a) => ({ r, a })))
      .sort((x, y) => x.a.deadlineAt.getTime() - y.a.deadlineAt.getTime());
    if (rows.length === 0) {
      this.paragraph(l.noOverdue);
      return;
    }
    this.table(
      [
        { header: l.isp, share: 0.26 },
        { header: l.documentNumber, share: 0.18 },
        { header: l.publishedAt, share: 0.14 },
        { header: l.deadline, share: 0.14 },
        { header: l.status, share: 0.14 },
        { header: l.overdueBy, share: 0.14, align: 'right' },
      ],
      rows.map(({ r, a }) => [
        ispName(a.isp),
        r.documentNumber,
        this.time(r.publishedAt),
        this.time(a.deadlineAt),
        l.assignmentStatus[a.status],
        this.duration((generatedAt.getTime() - a.deadlineAt.getTime()) / 1000),
      ]),
    );
  }

  rejections(requests: PdfRequest[]): void {
    const l = this.labels;
    this.heading(l.rejectionsHeading);
    const rows = requests
      .flatMap((r) => r.assignments.filter((a) => a.status === 'rejected').map((a) => ({ r, a })))
      .sort(
        (x, y) =>
          (x.a.rejectedAt ?? x.a.deadlineAt).getTime() -
          (y.a.rejectedAt ?? y.a.deadlineAt).getTime(),
      );
    if (rows.length === 0) {
      this.paragraph(l.noRejections);
      return;
    }
    this.table(
      [
        { header: l.isp, share: 0.24 },
        { header: l.documentNumber, share: 0.16 },
        { header: l.rejectedAt, share: 0.13 },
        { header: l.reason, share: 0.47 },
      ],
      rows.map(({ r, a }) => [
        ispName(a.isp),
        r.documentNumber,
        this.time(a.rejectedAt),
        a.reason ?? DASH,
      ]),
    );
  }

  /**
   * A pdfkit table whose rows wrap their text; a row that would cross the bottom margin starts
   * a new page, where the header row is drawn again (pdfkit's tables do not repeat it).
   */
  private table(columns: Column[], rows: string[][]): void {
    const doc = this.doc;
    const widths = columns.map((c) => Math.floor(c.share * this.width * 100) / 100);
    const headerCells = columns.map((c) => ({
      text: c.header,
      type: 'TH' as const,
      // Per cell: the table's own font is the document's regular one.
      font: { src: FONT_FILES.bold },
      backgroundColor: COLORS.headerFill,
      align: { x: c.align ?? 'left', y: 'bottom' as const },
    }));
    const cells = (row: string[]) =>
      row.map((text, i) => ({ text, align: { x: columns[i].align ?? 'left' } }));
    /** The height pdfkit will give a row: its tallest cell's text and the padding. */
    const heightOf = (texts: string[], font: string): number => {
      doc.font(font).fontSize(SIZE.table);
      return (
        Math.max(
          ...texts.map((text, i) =>
            doc.heightOfString(text, { width: widths[i] - 2 * CELL_PADDING }),
          ),
        ) +
        2 * CELL_PADDING +
        // Borders and rounding.
        2
      );
    };
    const headerHeight = heightOf(
      columns.map((c) => c.header),
      FONT_FILES.bold,
    );
    const start = (): PDFKit.Mixins.PDFTableObject => {
      this.regular(SIZE.table);
      const table = doc.table({
        position: { x: MARGIN.left, y: doc.y },
        columnStyles: widths,
        defaultStyle: {
          padding: CELL_PADDING,
          border: 0.5,
          borderColor: COLORS.border,
          textColor: COLORS.text,
        },
      });
      return table.row(headerCells);
    };
    const first = rows[0] === undefined ? 0 : heightOf(rows[0], FONT_FILES.regular);
    this.ensureSpace(headerHeight + first);
    let table = start();
    for (const row of rows) {
      const height = heightOf(row, FONT_FILES.regular);
      if (doc.y + height > doc.page.maxY()) {
        table.end();
        doc.addPage();
        table = start();
      }
      this.regular(SIZE.table);
      table.row(cells(row));
    }
    table.end();
    doc.x = MARGIN.left;
  }

  /** Page numbers, the report's name and period, and the checkpoint when given, on every page. */
  footers(data: CompliancePdfData, checkpoint: PdfCheckpoint | undefined): void {
    const doc = this.doc;
    const { start, count } = doc.bufferedPageRange();
    const left = `${this.labels.title} · ${data.department} · ${this.labels.periodRange(
      this.time(data.from),
      this.time(data.to),
    )}`;
    for (let i = start; i < start + count; i++) {
      doc.switchToPage(i);
      // Writing in the bottom margin: without this pdfkit would open a new page.
      const bottom = doc.page.margins.bottom;
      doc.page.margins.bottom = 0;
      const y = doc.page.height - MARGIN.bottom + 14;
      doc
        .save()
        .lineWidth(0.5)
        .strokeColor(COLORS.rule)
        .moveTo(MARGIN.left, y - 4)
        .lineTo(MARGIN.left + this.width, y - 4)
        .stroke()
        .restore();
      const pageLabel = this.labels.page(i - start + 1, count);
      this.regular(SIZE.footer).fillColor(COLORS.muted);
      // One line each: what does not fit ends with an ellipsis.
      const line = { height: doc.currentLineHeight(true), ellipsis: true };
      doc.text(left, MARGIN.left, y, { ...line, width: this.width - 90 });
      doc.text(pageLabel, MARGIN.left + this.width - 80, y, { width: 80, align: 'right' });
      if (checkpoint) {
        doc.text(checkpointLine(checkpoint), MARGIN.left, y + 11, { ...line, width: this.width });
      }
      doc.page.margins.bottom = bottom;
    }
  }
}

/** "Audit checkpoint / Điểm kiểm tra nhật ký: #size, head <16 hex>…, <time>". */
export function checkpointLine(checkpoint: PdfCheckpoint): string {
  const time =
    typeof checkpoint.time === 'string' ? checkpoint.time : checkpoint.time.toISOString();
  return `${CHECKPOINT_LABEL}: #${checkpoint.size}, head ${checkpoint.head.slice(0, 16)}…, ${time}`;
}

/** The compliance report in `lang`, as the bytes of a PDF file. */
export function renderCompliancePdf(
  data: CompliancePdfData,
  lang: PdfLanguage,
  options: PdfRenderOptions,
): Promise<Buffer> {
  const labels = PDF_LABELS[lang];
  const doc = new PDFDocument({
    size: 'A4',
    layout: 'landscape',
    margins: MARGIN,
    bufferPages: true,
    font: FONT_FILES.regular,
    lang: lang === 'vi' ? 'vi-VN' : 'en',
    displayTitle: true,
    info: {
      Title: `${labels.title} ${formatTime(data.from, lang)} – ${formatTime(data.to, lang)}`,
      Author: data.department,
      Subject: labels.subtitle,
      // Fixed by the report, so that equal inputs give equal bytes (the /ID derives from these).
      CreationDate: options.generatedAt,
      ModDate: options.generatedAt,
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const renderer = new Renderer(doc, lang);
  renderer.titleBlock(data, options.generatedAt);
  renderer.summary(data.isps);
  renderer.requests(data.requests);
  renderer.overdue(data.requests, options.generatedAt);
  renderer.rejections(data.requests);
  renderer.footers(data, options.checkpoint);
  doc.end();
  return done;
}
