import { toCsv } from '#src/platform/csv/index.js';
import { createHash, randomUUID } from 'node:crypto';
import { Injectable, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditLog } from '#src/platform/audit-log/index.js';
import { actorType, type Principal, tenantScope } from '#src/identity/index.js';
import { Clock } from '#src/platform/clock/index.js';
import { paginate, type Page } from '#src/platform/pagination/index.js';
import {
  type InvalidParam,
  unprocessable,
  validationProblem,
} from '#src/platform/problem/index.js';
import {
  canonicalize,
  canonicalizeUntyped,
  refusalReason,
  type IndicatorType,
} from '#src/publishing/index.js';
import { canonicalNetwork } from '#src/obligations/sightings/network.js';
import { SightingsObserver } from '#src/obligations/sightings/sightings-observer.js';
import {
  MAX_SUMMARY_ROWS,
  type CreateSightingsRequest,
  type SightingListQuery,
  type SightingResponse,
  type SightingsCreated,
  type SightingSummary,
  type SightingSummaryQuery,
} from '#src/obligations/sightings/dto/sighting.dto.js';
import {
  SightingsRepository,
  type NewSighting,
  type SightingFilter,
  type SightingRow,
} from '#src/obligations/sightings/sightings.repository.js';

function toResponse(r: SightingRow): SightingResponse {
  return {
    id: r.id,
    organizationId: r.organizationId,
    indicatorId: r.indicatorId,
    indicatorType: r.indicatorType,
    indicatorValue: r.indicatorValue,
    count: r.count,
    firstSeen: r.firstSeen.toISOString(),
    lastSeen: r.lastSeen.toISOString(),
    network: r.network,
    customer: r.customer,
    note: r.note,
    createdAt: r.createdAt.toISOString(),
  };
}

type Resolved = NewSighting & { ref: { id: string } | { type: IndicatorType; value: string } };

/**
 * Sightings: an ISP's report of hits on indicators its feed carried, by network or customer;
 * the Department's "units with botnet connections" is their summary.
 */
@Injectable()
export class SightingsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: SightingsRepository,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    @Optional() private readonly observer?: SightingsObserver,
  ) {}

  /** All or nothing: every item is checked first, then all are written in one transaction. */
  async report(caller: Principal, body: CreateSightingsRequest): Promise<SightingsCreated> {
    const resolved = this.checkItems(body);
    return this.dataSource.transaction(async (manager) => {
      const ids = resolved.flatMap((r) => ('id' in r.ref ? [r.ref.id] : []));
      const values = resolved.flatMap((r) => ('value' in r.ref ? [r.ref] : []));
      const carried = await this.repository.carriedByFeed(
        manager,
        caller.organizationId,
        [...new Set(ids)],
        values,
      );
      const byId = new Set(carried.map((c) => c.id));
      const byValue = new Map(carried.map((c) => [`${c.type}\u0000${c.value}`, c.id]));
      const unknown: InvalidParam[] = [];
      resolved.forEach((r, i) => {
        if ('id' in r.ref) {
          if (byId.has(r.ref.id)) r.indicatorId = r.ref.id;
          else
            unknown.push({
              name: `sightings[${i}].indicatorId`,
              reason: 'not an indicator your feed has carried',
            });
        } else {
          const id = byValue.get(`${r.ref.type}\u0000${r.ref.value}`);
          if (id !== undefined) r.indicatorId = id;
          else
            unknown.push({
              name: `sightings[${i}].value`,
              reason: `${r.ref.value} (${r.ref.type}) is not an indicator your feed has carried`,
            });
        }
      });
      if (unknown.length > 0) {
        throw unprocessable(
          `${unknown.length} sighting(s) name an indicator your feed has not carried, e.g. ${unknown[0].name}; nothing was recorded.`,
          { title: 'Unknown indicators', extensions: { 'invalid-params': unknown } },
        );
      }
      const actor = { type: actorType(caller), id: caller.id };
      await this.repository.insert(manager, caller.organizationId, actor, resolved);
      await this.audit.record(manager, {
        actor: caller,
        action: 'sighting.report',
        objectType: 'sighting',
        objectId: null,
        summary: {
          sightings: resolved.length,
          indicators: new Set(resolved.map((r) => r.indicatorId)).size,
          totalCount: resolved.reduce((sum, r) => sum + r.count, 0),
        },
      });
      const rows = new Map(
        (
          await this.repository.byIds(
            manager,
            resolved.map((r) => r.id),
          )
        ).map((r) => [r.id, r]),
      );
      await this.observer?.recorded(
        manager,
        caller,
        resolved.map((r) => {
          const row = rows.get(r.id)!;
          return {
            id: row.id,
            indicatorId: row.indicatorId,
            indicatorType: row.indicatorType,
            indicatorValue: row.indicatorValue,
            network: row.network,
            count: row.count,
            firstSeen: row.firstSeen,
            lastSeen: row.lastSeen,
          };
        }),
      );
      return { items: resolved.map((r) => toResponse(rows.get(r.id)!)) };
    });
  }

  /** Field rules across fields, every item at once (400 naming each `sightings[i].field`). */
  private checkItems(body: CreateSightingsRequest): Resolved[] {
    const now = this.clock.now();
    const problems: InvalidParam[] = [];
    const resolved: Resolved[] = [];
    body.sightings.forEach((s, i) => {
      const at = (field: string): string => `sightings[${i}].${field}`;
      const fail = (field: string, reason: string): void => {
        problems.push({ name: at(field), reason });
      };
      let ref: Resolved['ref'] | undefined;
      if ((s.indicatorId === undefined) === (s.value === undefined)) {
        fail('indicatorId', 'give either indicatorId or value (with an optional type)');
      } else if (s.indicatorId !== undefined) {
        if (s.type !== undefined) fail('type', 'type goes with value, not with indicatorId');
        ref = { id: s.indicatorId };
      } else if (s.value !== undefined) {
        const canonical =
          s.type === undefined ? canonicalizeUntyped(s.value) : canonicalize(s.type, s.value);
        if (canonical.ok) ref = { type: canonical.type, value: canonical.value };
        else fail('value', refusalReason(canonical));
      }
      if (s.lastSeen.getTime() > now.getTime()) fail('lastSeen', 'lastSeen is in the future');
      if (s.firstSeen.getTime() > s.lastSeen.getTime()) {
        fail('firstSeen', 'firstSeen is after lastSeen');
      }
      let network: string | null = null;
      if (s.network !== undefined) {
        const parsed = canonicalNetwork(s.network);
        if (parsed.ok) network = parsed.value;
        else fail('network', parsed.reason);
      }
      const customer = s.customer?.trim() || null;
      if (s.customer !== undefined && customer === null) fail('customer', 'customer is blank');
      if (s.network === undefined && s.customer === undefined) {
        fail('network', 'give the network, the customer, or both');
      }
      if (ref) {
        resolved.push({
          id: randomUUID(),
          indicatorId: '',
          ref,
          count: s.count,
          firstSeen: s.firstSeen,
          lastSeen: s.lastSeen,
          network,
          customer,
          note: s.note ?? null,
        });
      }
    });
    if (problems.length > 0) throw validationProblem(problems);
    return resolved;
  }

  list(caller: Principal, query: SightingListQuery): Promise<Page<SightingResponse>> {
    const filter = this.filterOf(caller, query);
    return paginate(
      query,
      (after, limit) => this.repository.list(filter, after, limit),
      toResponse,
    );
  }

  async summary(caller: Principal, query: SightingSummaryQuery): Promise<SightingSummary> {
    const rows = await this.repository.summary(
      { ...this.filterOf(caller, query), tag: query.tag, type: query.type },
      MAX_SUMMARY_ROWS + 1,
    );
    return {
      items: rows.slice(0, MAX_SUMMARY_ROWS).map((r) => ({
        ...r,
        firstSeen: r.firstSeen.toISOString(),
        lastSeen: r.lastSeen.toISOString(),
      })),
      truncated: rows.length > MAX_SUMMARY_ROWS,
    };
  }

  /** The summary as CSV: an export, recorded (with its SHA-256) before it is answered. */
  async exportSummary(
    caller: Principal,
    query: SightingSummaryQuery,
    filename: string,
  ): Promise<string> {
    const summary = await this.summary(caller, query);
    const body = summaryCsv(summary);
    const { format: _format, ...filters } = query;
    await this.audit.record(undefined, {
      actor: caller,
      action: 'sighting.export',
      objectType: 'sighting_summary',
      objectId: null,
      summary: {
        format: 'csv',
        filters,
        rows: summary.items.length,
        truncated: summary.truncated,
        filename,
        bytes: Buffer.byteLength(body),
        sha256: createHash('sha256').update(body).digest('hex'),
      },
    });
    return body;
  }

  private filterOf(
    caller: Principal,
    query: SightingListQuery | SightingSummaryQuery,
  ): SightingFilter {
    let network: string | undefined;
    if (query.network !== undefined) {
      const parsed = canonicalNetwork(query.network);
      if (!parsed.ok) throw validationProblem([{ name: 'network', reason: parsed.reason }]);
      network = parsed.value;
    }
    return {
      scope: tenantScope(caller),
      organizationId: query.organizationId,
      indicatorId: query.indicatorId,
      network,
      customer: query.customer,
      from: query.from,
      to: query.to,
    };
  }
}

const CSV_COLUMNS = [
  'network',
  'customer',
  'organization_id',
  'organization_name',
  'indicators',
  'sightings',
  'total_count',
  'first_seen',
  'last_seen',
] as const;

/** The summary as CSV (src/platform/csv: RFC 4180, formula-inert text). */
export function summaryCsv(summary: SightingSummary): string {
  return toCsv(
    CSV_COLUMNS,
    summary.items.map((r) => [
      r.network,
      r.customer,
      r.organizationId,
      r.organizationName,
      r.indicators.map((i) => i.value).join(' '),
      r.sightings,
      r.totalCount,
      r.firstSeen,
      r.lastSeen,
    ]),
  );
}
