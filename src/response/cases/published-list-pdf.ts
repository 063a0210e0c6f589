import { createRequire } from 'node:module';
import PDFDocument from 'pdfkit';
import {
  LIST_LABELS,
  listTime,
  type ListLanguage,
} from '#src/response/cases/published-list.labels.js';
import type { CaseStatus } from '#src/response/cases/cases.repository.js';

/**
 * The published list as a PDF (pdfkit, Be Vietnam Pro embedded as subsets, as the compliance
 * report does): a pure function of its rows, its language and its generation time, so that
 * equal inputs give byte-identical files.
 */

const require = createRequire(import.meta.url);
/** The fonts' files, resolved from the package (works from src under Jest and from dist). */
const FONTS = {
  regular:
    require.resolve('@expo-google-fonts/be-vietnam-pro/400Regular/BeVietnamPro_400Regular.ttf'),
  bold: require.resolve('@expo-google-fonts/be-vietnam-pro/700Bold/BeVietnamPro_700Bold.ttf'),
};

/** One row: the public view leaves the detail out (undefined). */
export interface ListPdfRow {
  unitName: string;
  unitShortCode?: string;
  infectedAddresses: number;
  c2Count?: number;
  since: Date;
  lastSeen?: Date;
  status: Exclude<CaseStatus, 'closed'>;
  deadlineAt?: Date;
}

export interface ListPdfData {
  /** The Department's name (its organization). */
  department: string;
  rows: ListPdfRow[];
  truncated: boolean;
  /** With detail columns (the authenticated view). */
  detail: boolean;
}

const MARGIN = { top: 40, left: 40, right: 40, bottom: 50 };
const PADDING = 3;
const SIZE = { title: 18, body: 9.5, table: 8.5, footer: 7.5 };
const COLORS = { text: '#1a1a1a', muted: '#555555', fill: '#e6ecf2', border: '#8c96a0' };

interface Column {
  header: string;
  share: number;
  align?: 'left' | 'right';
}

export function renderPublishedListPdf(
  data: ListPdfData,
  lang: ListLanguage,
  generatedAt: Date,
): Promise<Buffer> {
  const l = LIST_LABELS[lang];
  const doc = new PDFDocument({
    size: 'A4',
    layout: 'landscape',
    margins: MARGIN,
    bufferPages: true,
    font: FONTS.regular,
    lang: lang === 'vi' ? 'vi-VN' : 'en',
    displayTitle: true,
    info: {
      Title: l.title,
      Author: data.department,
      Subject: l.subtitle,
      // Fixed by the list, so that equal inputs give equal bytes (the /ID derives from these).
      CreationDate: generatedAt,
      ModDate: generatedAt,
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const width = doc.page.width - MARGIN.left - MARGIN.right;
  const regular = (size = SIZE.body) =>
    doc.font(FONTS.regular).fontSize(size).fillColor(COLORS.text);
  const bold = (size = SIZE.body) => doc.font(FONTS.bold).fontSize(size).fillColor(COLORS.text);

  bold(11).fillColor(COLORS.muted).text(data.department, MARGIN.left, MARGIN.top, { width });
  doc.moveDown(0.4);
  bold(SIZE.title).text(l.title, { width });
  regular(11).fillColor(COLORS.muted).text(l.subtitle, { width });
  doc.moveDown(0.5);
  regular().text(`${l.generatedAt}: ${listTime(generatedAt, lang)}`, { width });
  regular().text(`${l.total}: ${data.rows.length}`, { width });
  regular(SIZE.table).fillColor(COLORS.muted).text(l.timeZone, { width });
  if (data.truncated) regular().text(l.truncated(data.rows.length), { width });
  doc.moveDown(0.8);

  if (data.rows.length === 0) {
    regular().text(l.none, MARGIN.left, doc.y, { width });
  } else {
    const n = (header: string, share: number): Column => ({ header, share, align: 'right' });
    const columns: Column[] = data.detail
      ? [
          n(l.number, 0.05),
          { header: l.unit, share: 0.27 },
          { header: l.shortCode, share: 0.1 },
          n(l.infectedAddresses, 0.1),
          n(l.c2Count, 0.09),
          { header: l.since, share: 0.1 },
          { header: l.lastSeen, share: 0.1 },
          { header: l.status, share: 0.09 },
          { header: l.deadline, share: 0.1 },
        ]
      : [
          n(l.number, 0.06),
          { header: l.unit, share: 0.44 },
          n(l.infectedAddresses, 0.14),
          { header: l.since, share: 0.16 },
          { header: l.status, share: 0.2 },
        ];
    const rows = data.rows.map((r, i) =>
      data.detail
        ? [
            String(i + 1),
            r.unitName,
            r.unitShortCode ?? '',
            String(r.infectedAddresses),
            String(r.c2Count ?? ''),
            listTime(r.since, lang),
            r.lastSeen ? listTime(r.lastSeen, lang) : '',
            l.statuses[r.status],
            r.deadlineAt ? listTime(r.deadlineAt, lang) : '',
          ]
        : [
            String(i + 1),
            r.unitName,
            String(r.infectedAddresses),
            listTime(r.since, lang),
            l.statuses[r.status],
          ],
    );
    table(doc, columns, rows, width, regular);
  }

  // Footers: the list's title and the page number on every page.
  const { start, count } = doc.bufferedPageRange();
  for (let i = start; i < start + count; i++) {
    doc.switchToPage(i);
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    const y = doc.page.height - MARGIN.bottom + 14;
    regular(SIZE.footer).fillColor(COLORS.muted);
    doc.text(`${l.title} · ${listTime(generatedAt, lang)}`, MARGIN.left, y, {
      width: width - 90,
      height: doc.currentLineHeight(true),
      ellipsis: true,
    });
    doc.text(l.page(i - start + 1, count), MARGIN.left + width - 80, y, {
      width: 80,
      align: 'right',
    });
    doc.page.margins.bottom = bottom;
  }
  doc.end();
  return done;
}

/** A table whose header row is drawn again on each new page. */
function table(
  doc: PDFKit.PDFDocument,
  columns: Column[],
  rows: string[][],
  width: number,
  regular: (size?: number) => PDFKit.PDFDocument,
): void {
  const widths = columns.map((c) => Math.floor(c.share * width * 100) / 100);
  const heightOf = (texts: string[], font: string): number => {
    doc.font(font).fontSize(SIZE.table);
    return (
      Math.max(
        ...texts.map((text, i) => doc.heightOfString(text, { width: widths[i] - 2 * PADDING })),
      ) +
      2 * PADDING +
      2
    );
  };
  const header = columns.map((c) => ({
    text: c.header,
    type: 'TH' as const,
    font: { src: FONTS.bold },
    backgroundColor: COLORS.fill,
    align: { x: c.align ?? 'left', y: 'bottom' as const },
  }));
  const start = (): PDFKit.Mixins.PDFTableObject => {
    regular(SIZE.table);
    return doc
      .table({
        position: { x: MARGIN.left, y: doc.y },
        columnStyles: widths,
        defaultStyle: {
          padding: PADDING,
          border: 0.5,
          borderColor: COLORS.border,
          textColor: COLORS.text,
        },
      })
      .row(header);
  };
  const headerHeight = heightOf(
    columns.map((c) => c.header),
    FONTS.bold,
  );
  if (doc.y + headerHeight + heightOf(rows[0], FONTS.regular) > doc.page.maxY()) doc.addPage();
  let t = start();
  for (const row of rows) {
    if (doc.y + heightOf(row, FONTS.regular) > doc.page.maxY()) {
      t.end();
      doc.addPage();
      t = start();
    }
    regular(SIZE.table);
    t.row(row.map((text, i) => ({ text, align: { x: columns[i].align ?? 'left' } })));
  }
  t.end();
  doc.x = MARGIN.left;
}
