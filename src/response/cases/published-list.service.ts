import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AuditLog } from '#src/platform/audit-log/index.js';
import { Clock, monotonicMs } from '#src/platform/clock/index.js';
import { toCsv } from '#src/platform/csv/index.js';
import { notFound } from '#src/platform/problem/index.js';
import type { Principal } from '#src/identity/index.js';
import { DepartmentIdentityService } from '#src/feeds/index.js';
import { ResponseConfig } from '#src/response/response.config.js';
import { CasesRepository, type PublishedRow } from '#src/response/cases/cases.repository.js';
import {
  MAX_LIST_ROWS,
  type PublicList,
  type PublishedList,
  type PublishedListQuery,
} from '#src/response/cases/dto/published-list.dto.js';
import { renderPublishedListPdf } from '#src/response/cases/published-list-pdf.js';
import { LIST_LABELS, type ListLanguage } from '#src/response/cases/published-list.labels.js';

/** The answer of a list route: JSON, or a file (CSV, PDF) with its type and name. */
export type ListAnswer =
  | { kind: 'json'; body: PublishedList | PublicList }
  | { kind: 'file'; body: string | Buffer; contentType: string; filename: string };

type Status = Exclude<PublishedRow['status'], 'closed'>;

/**
 * The list the letter publishes: units with an open (not closed) case, most infected addresses
 * first. `since` is the case's first_seen (when its earliest connection was seen: "since when"
 * the unit is infected), not when the case was opened. The authenticated view has the detail;
 * the public one (PUBLISHED_LIST_ACCESS=public) only unit names, counts, since and status.
 * Files exported by authenticated callers are recorded in the audit trail with their SHA-256.
 */
/** How long one form of the public list is reused, in milliseconds. */
const PUBLIC_LIST_REUSE_MS = 30_000;

@Injectable()
export class PublishedListService {
  private readonly publicAnswers = new Map<string, { at: number; answer: Promise<ListAnswer> }>();

  constructor(
    private readonly cases: CasesRepository,
    private readonly department: DepartmentIdentityService,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    @Inject(ResponseConfig) private readonly config: ResponseConfig,
  ) {}

  async authenticated(caller: Principal, query: PublishedListQuery): Promise<ListAnswer> {
    const answer = await this.answer(query, true);
    if (answer.kind === 'file') {
      await this.audit.record(undefined, {
        actor: caller,
        action: 'case.list_export',
        objectType: 'published_list',
        objectId: null,
        summary: {
          format: query.format,
          lang: query.lang ?? 'vi',
          filename: answer.filename,
          bytes: Buffer.byteLength(answer.body),
          sha256: createHash('sha256').update(answer.body).digest('hex'),
        },
      });
    }
    return answer;
  }

  /** 404 unless the list is public (PUBLISHED_LIST_ACCESS=public). */
  /**
   * Anyone may ask, as often as they like: each form (format, language, BOM) is built at most
   * once per PUBLIC_LIST_REUSE_MS and shared by every caller meanwhile (a PDF of 5,000 units
   * takes about two seconds to draw), so the public list costs the same for one reader or many.
   */
  async public(query: PublishedListQuery): Promise<ListAnswer> {
    if (this.config.PUBLISHED_LIST_ACCESS !== 'public') throw notFound('published list');
    const format = query.format ?? 'json';
    const key = `${format}|${query.lang ?? 'vi'}|${format === 'csv' ? (query.bom ?? '') : ''}`;
    const now = monotonicMs();
    const cached = this.publicAnswers.get(key);
    if (cached && now - cached.at < PUBLIC_LIST_REUSE_MS) return cached.answer;
    const answer = this.answer(query, false);
    this.publicAnswers.set(key, { at: now, answer });
    answer.catch(() => this.publicAnswers.delete(key));
    return answer;
  }

  private async answer(query: PublishedListQuery, detail: boolean): Promise<ListAnswer> {
    const generatedAt = this.clock.now();
    const lang: ListLanguage = query.lang ?? 'vi';
    const rows = await this.cases.published(MAX_LIST_ROWS + 1);
    const truncated = rows.length > MAX_LIST_ROWS;
    const shown = rows.slice(0, MAX_LIST_ROWS);
    const stamp = generatedAt.toISOString().slice(0, 10);
    const name = `botnet-units-${stamp}-${lang}`;
    const format = query.format ?? 'json';
    if (format === 'json') {
      const items = shown.map((r) => (detail ? detailItem(r) : publicItem(r)));
      return {
        kind: 'json',
        body: { generatedAt: generatedAt.toISOString(), items, total: items.length, truncated },
      };
    }
    if (format === 'csv') {
      return {
        kind: 'file',
        body: listCsv(shown, lang, detail, query.bom === 'true'),
        contentType: 'text/csv; charset=utf-8; header=present',
        filename: `${name}.csv`,
      };
    }
    const body = await renderPublishedListPdf(
      {
        department: (await this.department.load()).name,
        rows: shown.map((r) => ({
          unitName: r.unitName,
          infectedAddresses: r.addresses,
          since: r.firstSeen,
          status: r.status as Status,
          ...(detail
            ? {
                unitShortCode: r.unitShortCode,
                c2Count: r.c2s,
                lastSeen: r.lastSeen,
                deadlineAt: r.deadlineAt,
              }
            : {}),
        })),
        truncated,
        detail,
      },
      lang,
      generatedAt,
    );
    return { kind: 'file', body, contentType: 'application/pdf', filename: `${name}.pdf` };
  }
}

function publicItem(r: PublishedRow) {
  return {
    unitName: r.unitName,
    infectedAddresses: r.addresses,
    since: r.firstSeen.toISOString(),
    status: r.status,
  };
}

function detailItem(r: PublishedRow) {
  return {
    unitId: r.unitId,
    unitName: r.unitName,
    unitShortCode: r.unitShortCode,
    caseId: r.caseId,
    infectedAddresses: r.addresses,
    c2Count: r.c2s,
    since: r.firstSeen.toISOString(),
    lastSeen: r.lastSeen.toISOString(),
    status: r.status,
    deadlineAt: r.deadlineAt.toISOString(),
  };
}

/** The list as CSV (src/platform/csv): headers and statuses in `lang`, times in ISO 8601 UTC. */
export function listCsv(
  rows: PublishedRow[],
  lang: ListLanguage,
  detail: boolean,
  bom: boolean,
): string {
  const l = LIST_LABELS[lang];
  const status = (s: PublishedRow['status']) => l.statuses[s as Status] ?? s;
  if (!detail) {
    return toCsv(
      [l.unit, l.infectedAddresses, l.since, l.status],
      rows.map((r) => [r.unitName, r.addresses, r.firstSeen.toISOString(), status(r.status)]),
      bom,
    );
  }
  return toCsv(
    [
      l.unit,
      l.shortCode,
      l.infectedAddresses,
      l.c2Count,
      l.since,
      l.lastSeen,
      l.status,
      l.deadline,
    ],
    rows.map((r) => [
      r.unitName,
      r.unitShortCode,
      r.addresses,
      r.c2s,
      r.firstSeen.toISOString(),
      r.lastSeen.toISOString(),
      status(r.status),
      r.deadlineAt.toISOString(),
    ]),
    bom,
  );
}
