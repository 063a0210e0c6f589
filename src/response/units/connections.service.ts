import type { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { parse as parseCsv } from 'csv-parse/sync';
import { DataSource } from 'typeorm';
import type { Principal } from '#src/identity/index.js';
import { AuditLog } from '#src/platform/audit-log/index.js';
import { Clock } from '#src/platform/clock/index.js';
import {
  badRequest,
  httpProblem,
  parseIsoDateTime,
  payloadTooLarge,
  ProblemType,
  validationProblem,
  type InvalidParam,
} from '#src/platform/problem/index.js';
import {
  canonicalIpv4,
  canonicalIpv6,
  canonicalizeUntyped,
  refusalReason,
} from '#src/publishing/index.js';
import { CaseTracker, type MatchedConnection } from '#src/response/cases/case-tracker.js';
import { unmapped } from '#src/response/units/unit-matcher.js';
import { ResponseConfig } from '#src/response/response.config.js';
import {
  CONNECTION_COLUMNS,
  MAX_CONNECTION_COUNT,
  MAX_CONNECTION_ROWS,
  type ConnectionsReported,
} from '#src/response/units/dto/connection.dto.js';
import { readBodyText } from '#src/response/units/request-text.js';
import { UnitNetworksService } from '#src/response/units/unit-networks.service.js';
import { UnitsRepository } from '#src/response/units/units.repository.js';

/** Refusal reasons listed in one answer; the detail gives the total. */
const MAX_LISTED = 200;
const DAY_MS = 86_400_000;

/** A row as received, before checking: JSON values or CSV cells. */
interface RawRow {
  time: unknown;
  address: unknown;
  c2: unknown;
  count: unknown;
}

interface CheckedRow {
  time: Date;
  /** Canonical address, no prefix. */
  address: string;
  c2Type: string;
  c2Value: string;
  count: number;
}

/**
 * Bulk connections (an ISP's or a sensor's NetFlow-derived rows: time, internal address, C2,
 * count): each address matched to the unit whose network holds it (longest prefix), rows
 * aggregated per (unit, address, C2) and handed to the CaseTracker in one transaction.
 */
@Injectable()
export class ConnectionsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly networks: UnitNetworksService,
    private readonly units: UnitsRepository,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly config: ResponseConfig,
    private readonly cases: CaseTracker,
  ) {}

  async report(
    caller: Principal,
    body: { stream: Readable; contentType: string } | undefined,
    declaredLength: string | undefined,
  ): Promise<ConnectionsReported> {
    const mediaType = body?.contentType.split(';')[0].trim().toLowerCase();
    if (body === undefined || (mediaType !== 'application/json' && mediaType !== 'text/csv')) {
      throw httpProblem(415, 'Send the rows as application/json or text/csv');
    }
    const text = await readBodyText(body.stream, declaredLength, {
      name: 'connections-body-bytes',
      value: this.config.CONNECTIONS_BODY_LIMIT_BYTES,
    });
    const { rows: raw, problems } =
      mediaType === 'text/csv' ? { rows: this.csvRows(text), problems: [] } : this.jsonRows(text);
    if (raw.length === 0) throw validationProblem([{ name: 'rows', reason: 'no rows' }]);
    if (raw.length > MAX_CONNECTION_ROWS) {
      throw payloadTooLarge(
        `At most ${MAX_CONNECTION_ROWS} rows per request: split the ${raw.length} rows`,
        { name: 'connection-rows', value: MAX_CONNECTION_ROWS },
      );
    }
    const rows = this.check(raw, problems);
    return this.dataSource.transaction(async (manager) => {
      const matcher = await this.networks.matcher(manager);
      const groups = new Map<string, MatchedConnection & { c2: string }>();
      let matched = 0;
      for (const row of rows) {
        const unit = matcher.match(row.address);
        if (unit === null) continue;
        matched++;
        const host = `${row.address}/${row.address.includes(':') ? 128 : 32}`;
        const key = `${unit.unitId}\u0000${host}\u0000${row.c2Type}\u0000${row.c2Value}`;
        const group = groups.get(key);
        if (group === undefined) {
          groups.set(key, {
            unitId: unit.unitId,
            unitNetwork: unit.network,
            address: host,
            c2Type: row.c2Type,
            c2Value: row.c2Value,
            c2: `${row.c2Type}\u0000${row.c2Value}`,
            indicatorId: null,
            count: row.count,
            firstSeen: row.time,
            lastSeen: row.time,
          });
        } else {
          group.count += row.count;
          if (row.time < group.firstSeen) group.firstSeen = row.time;
          if (row.time > group.lastSeen) group.lastSeen = row.time;
        }
      }
      const distinct = new Map<string, { type: string; value: string }>();
      for (const g of groups.values()) distinct.set(g.c2, { type: g.c2Type, value: g.c2Value });
      const indicators = new Map(
        (await this.units.activeIndicators(manager, [...distinct.values()])).map((i) => [
          `${i.type}\u0000${i.value}`,
          i.id,
        ]),
      );
      const connections: MatchedConnection[] = [...groups.values()].map(({ c2, ...g }) => ({
        ...g,
        indicatorId: indicators.get(c2) ?? null,
      }));
      const units = new Set(connections.map((c) => c.unitId)).size;
      const addresses = new Set(connections.map((c) => `${c.unitId} ${c.address}`)).size;
      if (connections.length > 0) await this.cases.record(manager, caller, connections);
      const result = {
        rows: rows.length,
        matched,
        unmatched: rows.length - matched,
        units,
        addresses,
      };
      await this.audit.record(manager, {
        actor: caller,
        action: 'connection.report',
        objectType: 'connection',
        objectId: null,
        summary: { ...result, connections: connections.length },
      });
      return result;
    });
  }

  /** The rows, and the unknown properties of rows (reported with the rows' other faults). */
  private jsonRows(text: string): { rows: RawRow[]; problems: InvalidParam[] } {
    // Counted before parsing: a body of tiny values (`{},{},…`) would otherwise become millions
    // of objects in memory before the row limit is seen. A row is one object with four fields.
    let separators = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x2c /* , */ || c === 0x7b /* { */ || c === 0x5b /* [ */) separators++;
    }
    if (separators > MAX_CONNECTION_ROWS * 10) {
      throw payloadTooLarge(`At most ${MAX_CONNECTION_ROWS} rows per request: split the rows`, {
        name: 'connection-rows',
        value: MAX_CONNECTION_ROWS,
      });
    }
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch (error) {
      throw badRequest(`The body is not JSON: ${(error as Error).message}`, {
        type: ProblemType.malformedBody,
        title: 'The body cannot be read',
      });
    }
    if (
      document === null ||
      typeof document !== 'object' ||
      Array.isArray(document) ||
      !Array.isArray((document as { rows?: unknown }).rows)
    ) {
      throw validationProblem([{ name: 'rows', reason: 'the body is {"rows": [...]}' }]);
    }
    const extra = Object.keys(document).filter((k) => k !== 'rows');
    if (extra.length > 0) {
      throw validationProblem(
        extra.slice(0, 10).map((name) => ({ name, reason: `property ${name} should not exist` })),
      );
    }
    const rows = (document as { rows: unknown[] }).rows;
    if (rows.length > MAX_CONNECTION_ROWS) return { rows: rows as RawRow[], problems: [] };
    const problems: InvalidParam[] = [];
    const out = rows.map((row, i) => {
      if (row === null || typeof row !== 'object' || Array.isArray(row)) {
        problems.push({ name: `rows[${i}]`, reason: 'a row is an object' });
        return { time: undefined, address: undefined, c2: undefined, count: undefined };
      }
      for (const key of Object.keys(row)) {
        if (!(CONNECTION_COLUMNS as readonly string[]).includes(key)) {
          problems.push({ name: `rows[${i}].${key}`, reason: `property ${key} should not exist` });
        }
      }
      return row as RawRow;
    });
    return { rows: out, problems };
  }

  private csvRows(text: string): RawRow[] {
    let records: string[][];
    try {
      records = parseCsv(text, {
        bom: true,
        trim: true,
        skip_empty_lines: true,
        record_delimiter: ['\r\n', '\n'],
        to: MAX_CONNECTION_ROWS + 2,
      });
    } catch (error) {
      throw badRequest(`The CSV cannot be read: ${(error as Error).message}`, {
        type: ProblemType.malformedBody,
        title: 'The CSV cannot be read',
      });
    }
    const header = records.shift()?.map((h) => h.toLowerCase());
    const columns = CONNECTION_COLUMNS.map((c) => header?.indexOf(c) ?? -1);
    const unknown = (header ?? []).filter(
      (h) => !(CONNECTION_COLUMNS as readonly string[]).includes(h),
    );
    if (columns.slice(0, 3).some((c) => c < 0) || unknown.length > 0) {
      throw validationProblem([
        {
          name: 'header',
          reason: `the header row names time,address,c2 and optionally count${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}`,
        },
      ]);
    }
    const [time, address, c2, count] = columns;
    return records.map((r) => ({
      time: r[time],
      address: r[address],
      c2: r[c2],
      count: count < 0 || r[count] === '' || r[count] === undefined ? undefined : r[count],
    }));
  }

  /** Every row checked (400 naming `rows[i].field`), canonical. */
  private check(rows: RawRow[], unknownFields: InvalidParam[]): CheckedRow[] {
    const now = this.clock.now().getTime();
    const latest = now + this.config.CONNECTIONS_CLOCK_SKEW_S * 1000;
    const earliest = now - this.config.CONNECTIONS_MAX_AGE_DAYS * DAY_MS;
    const problems: InvalidParam[] = [];
    const checked = rows.map((row, i): CheckedRow => {
      const fail = (field: string, reason: string): void => {
        problems.push({ name: `rows[${i}].${field}`, reason });
      };
      const time = typeof row.time === 'string' ? parseIsoDateTime(row.time) : undefined;
      if (time === undefined) fail('time', 'time must be an ISO 8601 date-time with a zone');
      else if (time.getTime() > latest) fail('time', 'time is in the future');
      else if (time.getTime() < earliest) {
        fail('time', `time is older than ${this.config.CONNECTIONS_MAX_AGE_DAYS} days`);
      }
      let address = '';
      if (typeof row.address !== 'string' || row.address.length > 64) {
        fail('address', 'address must be an IPv4 or IPv6 address');
      } else {
        const ip = row.address.includes(':')
          ? canonicalIpv6(row.address)
          : canonicalIpv4(row.address);
        if (ip.ok) address = unmapped(ip.value);
        else fail('address', refusalReason(ip));
      }
      let c2Type = '';
      let c2Value = '';
      if (typeof row.c2 !== 'string' || row.c2.length === 0 || row.c2.length > 4096) {
        fail('c2', 'c2 must be an indicator value (domain, IP address, URL…) of 1–4096 characters');
      } else {
        const canonical = canonicalizeUntyped(row.c2);
        if (canonical.ok) {
          c2Type = canonical.type;
          c2Value = canonical.value;
        } else fail('c2', refusalReason(canonical));
      }
      let count = 1;
      if (row.count !== undefined) {
        count =
          typeof row.count === 'number'
            ? row.count
            : typeof row.count === 'string' && /^\d{1,10}$/.test(row.count)
              ? Number(row.count)
              : NaN;
        if (!Number.isInteger(count) || count < 1 || count > MAX_CONNECTION_COUNT) {
          fail('count', `count must be an integer from 1 to ${MAX_CONNECTION_COUNT}`);
        }
      }
      return { time: time ?? new Date(0), address, c2Type, c2Value, count };
    });
    problems.push(...unknownFields);
    if (problems.length > 0) throw this.invalid(problems);
    return checked;
  }

  private invalid(problems: InvalidParam[]) {
    const listed = problems.slice(0, MAX_LISTED);
    const error = validationProblem(listed);
    if (problems.length > MAX_LISTED) {
      return badRequest(
        `${problems.length} fields are invalid (the first ${MAX_LISTED} are listed); nothing was recorded`,
        {
          type: ProblemType.validation,
          title: 'The request is not valid',
          extensions: { 'invalid-params': listed },
        },
      );
    }
    return error;
  }
}
