import { Injectable } from '@nestjs/common';
import { updateIfVersion } from '#src/platform/database/index.js';
import { DataSource, type EntityManager } from 'typeorm';
import { type Keyset, keysetPage } from '#src/platform/pagination/index.js';
import type { IndicatorType } from '#src/publishing/indicators/canonical.js';
import type { IndicatorAttributes } from '#src/publishing/indicators/indicator-attributes.js';
import {
  IndicatorEntity,
  type IndicatorStatus,
} from '#src/publishing/indicators/indicator.entity.js';
import type { Tlp } from '#src/feeds/index.js';

export interface IndicatorFilter {
  type?: IndicatorType;
  status?: IndicatorStatus;
  tlp?: Tlp;
  tag?: string;
  valuePrefix?: string;
  requestId?: string;
  createdFrom?: Date;
  createdTo?: Date;
}

export interface RequestRefRow {
  id: string;
  document_number: string;
  title: string;
  status: string;
  operation: string;
}

export interface HistoryRow {
  from_status: string | null;
  to_status: string;
  reason: string;
  actor_id: string | null;
  at: Date;
}

export interface OverrideRow {
  reason: string;
  approved_by: string;
  created_at: Date;
}

/** Escapes LIKE wildcards so that a prefix is matched literally. */
const likePrefix = (prefix: string): string => `${prefix.replace(/[\\%_]/g, '\\$&')}%`;

@Injectable()
export class IndicatorsRepository {
  constructor(private readonly dataSource: DataSource) {}

  private repo(manager?: EntityManager) {
    return (manager ?? this.dataSource.manager).getRepository(IndicatorEntity);
  }

  findById(id: string, manager?: EntityManager): Promise<IndicatorEntity | null> {
    return this.repo(manager).findOneBy({ id });
  }

  listPage(
    filter: IndicatorFilter,
    after: Keyset | undefined,
    limit: number,
  ): Promise<IndicatorEntity[]> {
    const qb = this.repo().createQueryBuilder('i');
    if (filter.type) qb.andWhere('i.type = :type', { type: filter.type });
    if (filter.status) qb.andWhere('i.status = :status', { status: filter.status });
    if (filter.tlp) qb.andWhere('i.tlp = :tlp', { tlp: filter.tlp });
    if (filter.tag) qb.andWhere(':tag = ANY(i.tags)', { tag: filter.tag });
    if (filter.valuePrefix) {
      qb.andWhere(`i.value LIKE :prefix ESCAPE '\\'`, { prefix: likePrefix(filter.valuePrefix) });
    }
    if (filter.requestId) {
      qb.andWhere(
        'EXISTS (SELECT 1 FROM blocking_request_items r WHERE r.indicator_id = i.id AND r.request_id = :rid)',
        { rid: filter.requestId },
      );
    }
    if (filter.createdFrom) qb.andWhere('i.created_at >= :from', { from: filter.createdFrom });
    if (filter.createdTo) qb.andWhere('i.created_at < :to', { to: filter.createdTo });
    return keysetPage(qb, 'i', after, limit).getMany();
  }

  insert(
    values: Partial<IndicatorEntity> & { type: IndicatorType; value: string },
  ): Promise<IndicatorEntity> {
    return this.repo().save(this.repo().create(values));
  }

  /** Applies the changes if the row still has `version`; false when it does not. */
  async updateIfVersion(
    id: string,
    version: number,
    changes: IndicatorAttributes,
    manager?: EntityManager,
  ): Promise<boolean> {
    return updateIfVersion(this.repo(manager), id, version, changes);
  }

  /**
   * The ids of these canonical values, creating the missing ones with `attributes` (set-based:
   * one INSERT … ON CONFLICT DO NOTHING and one SELECT, whatever the count). Keeps input order.
   */
  async ensure(
    manager: EntityManager,
    values: { type: IndicatorType; value: string }[],
    attributes: IndicatorAttributes,
    createdBy: string | null,
  ): Promise<{ ids: string[]; created: number }> {
    if (values.length === 0) return { ids: [], created: 0 };
    const types = values.map((v) => v.type);
    const vals = values.map((v) => v.value);
    const inserted = await manager.query<unknown[]>(
      `INSERT INTO indicators (type, value, tlp, confidence, tags, source, description,
                               valid_from, valid_until, created_by)
       SELECT t, v, $3, $4, $5, $6, $7, coalesce($8, now()), $9, $10
         FROM unnest($1::text[], $2::text[]) AS u(t, v)
        ORDER BY t, v -- one order for every writer: concurrent inserts never deadlock
       ON CONFLICT (type, value) DO NOTHING
       RETURNING id`,
      [
        types,
        vals,
        attributes.tlp ?? 'AMBER',
        attributes.confidence ?? null,
        attributes.tags ?? [],
        attributes.source ?? null,
        attributes.description ?? null,
        attributes.validFrom ?? null,
        attributes.validUntil ?? null,
        createdBy,
      ],
    );
    const rows = await manager.query<{ id: string }[]>(
      `SELECT i.id FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(t, v, n)
         JOIN indicators i ON i.type = u.t AND i.value = u.v ORDER BY u.n`,
      [types, vals],
    );
    return { ids: rows.map((r) => r.id), created: inserted.length };
  }

  /** Whether a published request addressed to all ISPs keeps this indicator in feeds. */
  async heldForAllIsps(id: string): Promise<boolean> {
    const rows = await this.dataSource.query<unknown[]>(
      `SELECT 1 FROM feed_claims c JOIN blocking_requests r ON r.id = c.request_id
        WHERE c.indicator_id = $1 AND r.targets_all LIMIT 1`,
      [id],
    );
    return rows.length > 0;
  }

  requestsOf(id: string): Promise<RequestRefRow[]> {
    return this.dataSource.query(
      `SELECT r.id, r.document_number, r.title, r.status, i.operation
         FROM blocking_request_items i JOIN blocking_requests r ON r.id = i.request_id
        WHERE i.indicator_id = $1 ORDER BY r.created_at DESC LIMIT 100`,
      [id],
    );
  }

  historyOf(id: string): Promise<HistoryRow[]> {
    return this.dataSource.query(
      `SELECT from_status, to_status, reason, actor_id, at FROM indicator_status_history
        WHERE indicator_id = $1 ORDER BY id`,
      [id],
    );
  }

  async overrideOf(id: string): Promise<OverrideRow | null> {
    const rows = await this.dataSource.query<OverrideRow[]>(
      `SELECT reason, approved_by, created_at FROM protection_overrides WHERE indicator_id = $1`,
      [id],
    );
    return rows[0] ?? null;
  }

  /** Indicator ids among `ids` that have a protection override. */
  async overridden(manager: EntityManager, ids: string[]): Promise<Set<string>> {
    const rows = await manager.query<{ indicator_id: string }[]>(
      `SELECT indicator_id FROM protection_overrides WHERE indicator_id = ANY($1::uuid[])`,
      [ids],
    );
    return new Set(rows.map((r) => r.indicator_id));
  }

  /** Of these ids, those of existing indicators. */
  async existing(manager: EntityManager, ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await manager.query<{ id: string }[]>(
      `SELECT id FROM indicators WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    return new Set(rows.map((r) => r.id));
  }

  async insertOverride(
    manager: EntityManager,
    id: string,
    reason: string,
    approvedBy: string,
    matches: unknown[],
  ): Promise<void> {
    await manager.query(
      `INSERT INTO protection_overrides (indicator_id, reason, approved_by, matches)
       VALUES ($1, $2, $3, $4)
       ON CONFLICT (indicator_id) DO UPDATE
         SET reason = excluded.reason, approved_by = excluded.approved_by,
             matches = excluded.matches, created_at = now()`,
      [id, reason, approvedBy, JSON.stringify(matches)],
    );
  }

  /**
   * Moves the given indicators that are `from` to `to`, with a history row each; returns the
   * ids that changed (rows locked, so two callers never change the same row twice).
   */
  async transition(
    manager: EntityManager,
    ids: string[],
    from: IndicatorStatus,
    to: IndicatorStatus,
    reason: string,
    actorId: string | null,
  ): Promise<string[]> {
    const rows = await manager.query<{ indicator_id: string }[]>(
      `WITH changed AS (
         UPDATE indicators SET status = $3, version = version + 1, updated_at = now()
          WHERE id = ANY($1::uuid[]) AND status = $2
         RETURNING id)
       INSERT INTO indicator_status_history (indicator_id, from_status, to_status, reason, actor_id)
       SELECT id, $2, $3, $4, $5 FROM changed RETURNING indicator_id`,
      [ids, from, to, reason, actorId],
    );
    return rows.map((r) => r.indicator_id);
  }

  /** Active indicators whose valid_until is at or before `now`, oldest first, locked. */
  async lockDueForExpiry(manager: EntityManager, now: Date, limit: number): Promise<string[]> {
    const rows = await manager.query<{ id: string }[]>(
      `SELECT id FROM indicators WHERE status = 'active' AND valid_until <= $1
        ORDER BY valid_until LIMIT $2 FOR NO KEY UPDATE SKIP LOCKED`,
      [now, limit],
    );
    return rows.map((r) => r.id);
  }
}
