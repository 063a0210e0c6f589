import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { actorType, type Principal } from '#src/identity/index.js';
import { Clock } from '#src/platform/clock/index.js';
import {
  CursorCodec,
  cursorPart,
  DEFAULT_PAGE_SIZE,
  pageOf,
  paginate,
  type Page,
  type PageQuery,
} from '#src/platform/pagination/index.js';
import { invalidState, notFound, staleVersion } from '#src/platform/problem/index.js';
import { CaseEvents } from '#src/response/cases/case-events.js';
import {
  CasesRepository,
  type CaseRow,
  type ConnectionRow,
  type HistoryRow,
} from '#src/response/cases/cases.repository.js';
import {
  DETAIL_CONNECTIONS,
  type CaseConnection,
  type CaseDetail,
  type CaseListQuery,
  type CaseResponse,
  type RemediationKind,
  type ReportRemediation,
  type VersionedCaseAction,
} from '#src/response/cases/dto/case.dto.js';

/** `["<last seen, microseconds>","<id>"]`: the keyset of a case's connections (last_seen DESC, id DESC). */
const CONNECTION_CURSOR = new CursorCodec<{ lastSeen: string; id: string }>({
  lastSeen: cursorPart.microsecondTime,
  id: cursorPart.bigintId,
});
const HISTORY = 100;

/**
 * Whose cases a caller sees: a unit's people, their own unit's only (another unit's case is a
 * 404, as if it did not exist); the Department and auditors, every unit's.
 */
export function caseScope(caller: Principal): { unitId?: string } {
  return caller.organizationKind === 'department' || caller.organizationKind === 'authority'
    ? {}
    : { unitId: caller.organizationId };
}

const iso = (d: Date | null): string | null => d?.toISOString() ?? null;

export function toCaseResponse(c: CaseRow, now: Date): CaseResponse {
  return {
    id: c.id,
    unitId: c.unitId,
    unitName: c.unitName,
    unitShortCode: c.unitShortCode,
    status: c.status,
    openedAt: c.openedAt.toISOString(),
    deadlineAt: c.deadlineAt.toISOString(),
    overdue: (c.status === 'open' || c.status === 'acknowledged') && c.deadlineAt <= now,
    firstSeen: c.firstSeen.toISOString(),
    lastSeen: c.lastSeen.toISOString(),
    infectedAddresses: c.addresses,
    c2Count: c.c2s,
    connectionCount: c.connections,
    acknowledgedAt: iso(c.acknowledgedAt),
    acknowledgedBy:
      c.acknowledgedBy && c.acknowledgedByType
        ? { type: c.acknowledgedByType, id: c.acknowledgedBy }
        : null,
    remediation: c.remediation
      ? {
          summary: c.remediation.summary,
          actions: c.remediation.actions.map((a) => ({
            kind: a.kind as RemediationKind,
            ...(a.detail === null ? {} : { detail: a.detail }),
          })),
        }
      : null,
    remediatedAt: iso(c.remediatedAt),
    remediatedBy:
      c.remediatedBy && c.remediatedByType
        ? { type: c.remediatedByType, id: c.remediatedBy }
        : null,
    closedAt: iso(c.closedAt),
    reopenCount: c.reopenCount,
    reopenedAt: iso(c.reopenedAt),
    remindedAt: iso(c.remindedAt),
    escalatedAt: iso(c.escalatedAt),
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
    version: c.version,
  };
}

function toConnection(r: ConnectionRow): CaseConnection {
  return {
    address: r.address,
    c2Type: r.c2Type,
    c2Value: r.c2Value,
    indicatorId: r.indicatorId,
    count: r.count,
    firstSeen: r.firstSeen.toISOString(),
    lastSeen: r.lastSeen.toISOString(),
    lastReportedBy: r.lastReportedBy,
  };
}

function toHistory(h: HistoryRow) {
  return { ...h, at: h.at.toISOString() };
}

/**
 * Cases as people see and act on them: the Department's staff and auditors read every unit's,
 * a unit officer its own unit's; the unit's officer (or a responder) acknowledges and reports
 * remediation. Nobody closes a case by hand: the scheduler does, after the quiet period.
 */
@Injectable()
export class CasesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly cases: CasesRepository,
    private readonly events: CaseEvents,
    private readonly clock: Clock,
  ) {}

  list(caller: Principal, query: CaseListQuery): Promise<Page<CaseResponse>> {
    const scope = caseScope(caller);
    const now = this.clock.now();
    return paginate(
      query,
      (after, limit) =>
        this.cases.list(
          { scopeUnitId: scope.unitId, unitId: query.unitId, status: query.status },
          after,
          limit,
        ),
      (r) => toCaseResponse(r, now),
    );
  }

  async get(caller: Principal, id: string): Promise<CaseDetail> {
    const c = await this.visible(caller, id);
    const [connections, history] = await Promise.all([
      this.cases.connections(id, undefined, DETAIL_CONNECTIONS),
      this.cases.history(id, HISTORY),
    ]);
    return {
      ...toCaseResponse(c, this.clock.now()),
      connections: connections.slice(0, DETAIL_CONNECTIONS).map(toConnection),
      connectionsTruncated: connections.length > DETAIL_CONNECTIONS,
      history: history.map(toHistory),
    };
  }

  async connections(
    caller: Principal,
    id: string,
    query: PageQuery,
  ): Promise<Page<CaseConnection>> {
    await this.visible(caller, id);
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.cases.connections(id, CONNECTION_CURSOR.decode(query.cursor), limit);
    return pageOf(rows, limit, toConnection, (r) =>
      CONNECTION_CURSOR.encode({ lastSeen: r.lastSeenMicros, id: r.id }),
    );
  }

  /** open → acknowledged; again: the current state, unchanged; remediated or closed: 409. */
  async acknowledge(
    caller: Principal,
    id: string,
    body: VersionedCaseAction,
  ): Promise<CaseResponse> {
    await this.visible(caller, id);
    const now = this.clock.now();
    const row = await this.dataSource.transaction(async (manager) => {
      const c = await this.cases.lock(manager, id);
      if (!c) throw notFound('case');
      if (c.status === 'acknowledged') return this.cases.find(id, manager);
      if (c.status !== 'open') {
        throw invalidState(
          c.status === 'closed'
            ? 'The case is closed: there is nothing to acknowledge'
            : 'The case is remediated already: acknowledging is for open cases',
        );
      }
      if (c.version !== body.version) throw staleVersion('case');
      await this.cases.acknowledge(manager, id, { type: actorType(caller), id: caller.id }, now);
      await this.events.record(manager, id, caller, {
        action: 'case.acknowledge',
        change: { from: 'open', to: 'acknowledged', reason: null },
      });
      return this.cases.find(id, manager);
    });
    return this.response(row);
  }

  /** open or acknowledged → remediated, with the report; the responders are told. */
  async remediate(caller: Principal, id: string, body: ReportRemediation): Promise<CaseResponse> {
    await this.visible(caller, id);
    const now = this.clock.now();
    const row = await this.dataSource.transaction(async (manager) => {
      const c = await this.cases.lock(manager, id);
      if (!c) throw notFound('case');
      if (c.status === 'closed') {
        throw invalidState(
          'The case is closed: a remediation report is for an open or acknowledged case (a new connection reopens it)',
        );
      }
      if (c.status === 'remediated') {
        throw invalidState(
          'The case is remediated already: it closes after the quiet period, or a new connection reopens it',
        );
      }
      if (c.version !== body.version) throw staleVersion('case');
      const remediation = {
        summary: body.summary,
        actions: body.actions.map((a) => ({ kind: a.kind, detail: a.detail ?? null })),
      };
      await this.cases.remediate(
        manager,
        id,
        remediation,
        { type: actorType(caller), id: caller.id },
        now,
      );
      await this.events.record(manager, id, caller, {
        action: 'case.remediate',
        change: { from: c.status, to: 'remediated', reason: body.summary.slice(0, 4000) },
        mail: { responders: 'remediated' },
        summary: { actions: remediation.actions.map((a) => a.kind) },
      });
      return this.cases.find(id, manager);
    });
    return this.response(row);
  }

  private async visible(caller: Principal, id: string): Promise<CaseRow> {
    const c = await this.cases.find(id);
    const scope = caseScope(caller);
    if (!c || (scope.unitId !== undefined && c.unitId !== scope.unitId)) throw notFound('case');
    return c;
  }

  /** The answer, read in the transaction of the change (as it left the case). */
  private response(c: CaseRow | null): CaseResponse {
    if (!c) throw notFound('case');
    return toCaseResponse(c, this.clock.now());
  }
}
