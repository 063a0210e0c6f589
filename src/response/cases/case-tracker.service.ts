import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Principal } from '#src/identity/index.js';
import { Clock } from '#src/platform/clock/index.js';
import { unprocessable } from '#src/platform/problem/index.js';
import { ResponseConfig } from '#src/response/response.config.js';
import { CaseEvents } from '#src/response/cases/case-events.js';
import { CaseTracker, type MatchedConnection } from '#src/response/cases/case-tracker.js';
import {
  CasesRepository,
  type CaseRow,
  type ConnectionUpsert,
} from '#src/response/cases/cases.repository.js';

/** Matched connections one call may bring (the caller aggregates them first). */
export const MAX_CONNECTIONS_PER_CALL = 100_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Connections per key (address, C2): counts added, first seen min, last seen max. */
export function aggregate(
  connections: readonly MatchedConnection[],
): Map<string, ConnectionUpsert[]> {
  const byUnit = new Map<string, Map<string, ConnectionUpsert>>();
  for (const c of connections) {
    const rows = byUnit.get(c.unitId) ?? new Map<string, ConnectionUpsert>();
    byUnit.set(c.unitId, rows);
    const key = `${c.address}\u0000${c.c2Type}\u0000${c.c2Value}`;
    const row = rows.get(key);
    if (!row) {
      rows.set(key, {
        address: c.address,
        c2Type: c.c2Type,
        c2Value: c.c2Value,
        indicatorId: c.indicatorId,
        count: c.count,
        firstSeen: c.firstSeen,
        lastSeen: c.lastSeen,
      });
      continue;
    }
    row.count += c.count;
    if (c.firstSeen < row.firstSeen) row.firstSeen = c.firstSeen;
    if (c.lastSeen > row.lastSeen) row.lastSeen = c.lastSeen;
    row.indicatorId ??= c.indicatorId;
  }
  return new Map([...byUnit].map(([unit, rows]) => [unit, [...rows.values()]]));
}

/**
 * Where matched connections go (the `CaseTracker` port): per unit, its one active case, found
 * under a row lock, or reopened (closed within CASE_REOPEN_WINDOW_DAYS), or opened; a
 * connection seen after a remediation report sends the case back to `acknowledged`. Every
 * state change writes its history row, audit event, outbox message and e-mails in the caller's
 * transaction. Units are handled in id order, so that concurrent calls lock in one order.
 */
@Injectable()
export class CaseTrackerService extends CaseTracker {
  constructor(
    private readonly cases: CasesRepository,
    private readonly events: CaseEvents,
    private readonly clock: Clock,
    @Inject(ResponseConfig) private readonly config: ResponseConfig,
  ) {
    super();
  }

  async record(
    manager: EntityManager,
    reporter: Principal,
    connections: readonly MatchedConnection[],
  ): Promise<void> {
    if (connections.length === 0) return;
    if (connections.length > MAX_CONNECTIONS_PER_CALL) {
      throw unprocessable(
        `At most ${MAX_CONNECTIONS_PER_CALL} matched connections are recorded at once (got ${connections.length}): send them in smaller batches`,
        { title: 'Too many connections at once' },
      );
    }
    const byUnit = aggregate(connections);
    for (const unitId of [...byUnit.keys()].sort()) {
      await this.recordUnit(manager, reporter, unitId, byUnit.get(unitId)!);
    }
  }

  private async recordUnit(
    manager: EntityManager,
    reporter: Principal,
    unitId: string,
    rows: ConnectionUpsert[],
  ): Promise<void> {
    const now = this.clock.now();
    const deadline = new Date(now.getTime() + this.config.CASE_DEADLINE_HOURS * HOUR_MS);
    const firstSeen = new Date(Math.min(...rows.map((r) => r.firstSeen.getTime())));
    const lastSeen = new Date(Math.max(...rows.map((r) => r.lastSeen.getTime())));
    const { row: active, opened } = await this.activeCase(
      manager,
      unitId,
      now,
      deadline,
      firstSeen,
      lastSeen,
    );
    await this.cases.upsertConnections(manager, active.id, reporter.organizationId, rows);
    await this.cases.widenSeen(manager, active.id, firstSeen, lastSeen, now);
    const summary = { reporter: reporter.organizationId, connections: rows.length };
    if (opened === 'opened') {
      await this.events.record(manager, active.id, 'system', {
        action: 'case.open',
        change: { from: null, to: 'open', reason: 'connections seen' },
        topic: 'case.opened',
        mail: { unit: 'opened' },
        summary,
      });
    } else if (opened === 'reopened') {
      await this.events.record(manager, active.id, 'system', {
        action: 'case.reopen',
        change: { from: 'closed', to: 'open', reason: 'new connection after closing' },
        topic: 'case.reopened',
        mail: { unit: 'reopened' },
        summary: { ...summary, reopenCount: active.reopenCount + 1 },
      });
    } else if (
      active.status === 'remediated' &&
      active.remediatedAt !== null &&
      rows.some((r) => r.lastSeen > active.remediatedAt!)
    ) {
      await this.cases.backToAcknowledged(manager, active.id, now, deadline);
      await this.events.record(manager, active.id, 'system', {
        action: 'case.reopen',
        change: {
          from: 'remediated',
          to: 'acknowledged',
          reason: 'new connection after remediation',
        },
        topic: 'case.reopened',
        mail: { unit: 'reopened', responders: 'reopened' },
        summary,
      });
    }
  }

  /** The unit's active case (locked), reopened or opened when it has none. */
  private async activeCase(
    manager: EntityManager,
    unitId: string,
    now: Date,
    deadline: Date,
    firstSeen: Date,
    lastSeen: Date,
  ): Promise<{ row: CaseRow; opened: 'opened' | 'reopened' | false }> {
    // Twice at most: a concurrent transaction may open the unit's case between our look and
    // our insert (the partial unique index refuses ours); then we find and lock its case.
    for (let attempt = 0; attempt < 2; attempt++) {
      const active = await this.cases.lockActive(manager, unitId);
      if (active) return { row: active, opened: false };
      if (this.config.CASE_REOPEN_WINDOW_DAYS > 0) {
        const since = new Date(now.getTime() - this.config.CASE_REOPEN_WINDOW_DAYS * DAY_MS);
        const closed = await this.cases.lockLatestClosedSince(manager, unitId, since);
        if (closed && (await this.cases.reopenClosed(manager, closed.id, now, deadline))) {
          return { row: closed, opened: 'reopened' };
        }
      }
      const id = await this.cases.insertOpen(manager, unitId, now, deadline, firstSeen, lastSeen);
      if (id) {
        const row = await this.cases.lock(manager, id);
        if (!row) throw new Error(`case ${id} vanished in its transaction`);
        return { row, opened: 'opened' };
      }
    }
    throw new Error(`unit ${unitId}: no active case found or opened`);
  }
}
