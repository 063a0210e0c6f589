import { keysetOrderSql, keysetSql, type Keyset } from '#src/platform/pagination/index.js';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { TenantScope } from '#src/identity/index.js';
import type { IndicatorType } from '#src/publishing/index.js';

export interface SightingRow extends Keyset {
  id: string;
  organizationId: string;
  indicatorId: string;
  indicatorType: IndicatorType;
  indicatorValue: string;
  count: number;
  firstSeen: Date;
  lastSeen: Date;
  network: string | null;
  customer: string | null;
  note: string | null;
}

export interface NewSighting {
  id: string;
  indicatorId: string;
  count: number;
  firstSeen: Date;
  lastSeen: Date;
  network: string | null;
  customer: string | null;
  note: string | null;
}

export interface SightingFilter {
  scope: TenantScope;
  organizationId?: string;
  indicatorId?: string;
  /** A canonical network: rows whose network is within it. */
  network?: string;
  customer?: string;
  from?: Date;
  to?: Date;
  tag?: string;
  type?: IndicatorType;
}

export interface SummaryRow {
  network: string | null;
  customer: string | null;
  organizationId: string;
  organizationName: string;
  indicators: { id: string; type: IndicatorType; value: string }[];
  sightings: number;
  totalCount: number;
  firstSeen: Date;
  lastSeen: Date;
}

interface RawSighting {
  id: string;
  organization_id: string;
  indicator_id: string;
  indicator_type: IndicatorType;
  indicator_value: string;
  count: string;
  first_seen: Date;
  last_seen: Date;
  network: string | null;
  customer: string | null;
  note: string | null;
  created_at: Date;
}

const SELECT_SIGHTING = `
  SELECT s.id, s.organization_id, s.indicator_id, i.type AS indicator_type,
         i.value AS indicator_value, s.count, s.first_seen, s.last_seen,
         s.network::text AS network, s.customer, s.note, s.created_at
    FROM sightings s JOIN indicators i ON i.id = s.indicator_id`;

function toRow(r: RawSighting): SightingRow {
  return {
    id: r.id,
    organizationId: r.organization_id,
    indicatorId: r.indicator_id,
    indicatorType: r.indicator_type,
    indicatorValue: r.indicator_value,
    count: Number(r.count),
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    network: r.network,
    customer: r.customer,
    note: r.note,
    createdAt: r.created_at,
  };
}

/** WHERE clauses (and their parameters) for the list and the summary. */
function where(f: SightingFilter, params: unknown[]): string[] {
  const clauses: string[] = [];
  const add = (sql: (p: string) => string, value: unknown): void => {
    params.push(value);
    clauses.push(sql(`$${params.length}`));
  };
  if (f.scope.organizationId !== undefined)
    add((p) => `s.organization_id = ${p}`, f.scope.organizationId);
  if (f.organizationId !== undefined) add((p) => `s.organization_id = ${p}`, f.organizationId);
  if (f.indicatorId !== undefined) add((p) => `s.indicator_id = ${p}`, f.indicatorId);
  if (f.network !== undefined) add((p) => `s.network <<= ${p}::cidr`, f.network);
  if (f.customer !== undefined) add((p) => `lower(s.customer) = lower(${p})`, f.customer);
  if (f.from !== undefined) add((p) => `s.last_seen >= ${p}`, f.from);
  if (f.to !== undefined) add((p) => `s.last_seen < ${p}`, f.to);
  if (f.tag !== undefined) add((p) => `${p} = ANY(i.tags)`, f.tag);
  if (f.type !== undefined) add((p) => `i.type = ${p}`, f.type);
  return clauses;
}

/** `sightings` (no entity: SQL only, like the feed tables). */
@Injectable()
export class SightingsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Of the given indicators (by id, or by canonical type and value), those the ISP's feed has
   * carried (an `add` in its feed_changes): the only ones it may report sightings of.
   */
  async carriedByFeed(
    manager: EntityManager,
    organizationId: string,
    ids: string[],
    values: { type: IndicatorType; value: string }[],
  ): Promise<{ id: string; type: IndicatorType; value: string }[]> {
    return manager.query(
      `SELECT i.id, i.type, i.value FROM indicators i
        WHERE (i.id = ANY($2::uuid[])
               OR (i.type, i.value) IN (SELECT t, v FROM unnest($3::text[], $4::text[]) AS x(t, v)))
          AND EXISTS (SELECT 1 FROM feed_changes c
                       WHERE c.organization_id = $1 AND c.indicator_id = i.id AND c.op = 'add')`,
      [organizationId, ids, values.map((v) => v.type), values.map((v) => v.value)],
    );
  }

  async insert(
    manager: EntityManager,
    organizationId: string,
    actor: { type: 'user' | 'api_client'; id: string },
    rows: NewSighting[],
  ): Promise<void> {
    await manager.query(
      `INSERT INTO sightings
         (id, organization_id, indicator_id, count, first_seen, last_seen, network, customer, note,
          actor_type, actor_id)
       SELECT id, $1, indicator_id, count, first_seen, last_seen, network, customer, note, $2, $3
         FROM unnest($4::uuid[], $5::uuid[], $6::bigint[], $7::timestamptz[], $8::timestamptz[],
                     $9::cidr[], $10::text[], $11::text[])
              AS x(id, indicator_id, count, first_seen, last_seen, network, customer, note)`,
      [
        organizationId,
        actor.type,
        actor.id,
        rows.map((r) => r.id),
        rows.map((r) => r.indicatorId),
        rows.map((r) => String(r.count)),
        rows.map((r) => r.firstSeen),
        rows.map((r) => r.lastSeen),
        rows.map((r) => r.network),
        rows.map((r) => r.customer),
        rows.map((r) => r.note),
      ],
    );
  }

  async byIds(manager: EntityManager, ids: string[]): Promise<SightingRow[]> {
    const rows = await manager.query<RawSighting[]>(`${SELECT_SIGHTING} WHERE s.id = ANY($1)`, [
      ids,
    ]);
    return rows.map(toRow);
  }

  /** Newest first by (created_at, id), limit + 1 rows after `after`. */
  async list(
    filter: SightingFilter,
    after: Keyset | undefined,
    limit: number,
  ): Promise<SightingRow[]> {
    const params: unknown[] = [];
    const clauses = where(filter, params);
    if (after) clauses.push(keysetSql('s', after, params));
    params.push(limit + 1);
    const rows = await this.dataSource.query<RawSighting[]>(
      `${SELECT_SIGHTING}
        ${clauses.length ? `WHERE ${clauses.join(' AND ')}` : ''}
        ORDER BY ${keysetOrderSql('s')}
        LIMIT $${params.length}`,
      params,
    );
    return rows.map(toRow);
  }

  /**
   * Per (network, customer, reporting ISP): the indicators contacted, the sightings, the sum of
   * their counts, first and last seen. Most hits first; at most `limit` groups.
   */
  async summary(filter: SightingFilter, limit: number): Promise<SummaryRow[]> {
    const params: unknown[] = [];
    const clauses = where(filter, params);
    params.push(limit);
    const rows = await this.dataSource.query<
      {
        network: string | null;
        customer: string | null;
        organization_id: string;
        organization_name: string;
        indicators: { id: string; type: IndicatorType; value: string }[];
        sightings: string;
        total_count: string;
        first_seen: Date;
        last_seen: Date;
      }[]
    >(
      `SELECT s.network::text AS network, s.customer, s.organization_id,
              o.name AS organization_name,
              jsonb_agg(DISTINCT jsonb_build_object('id', i.id, 'type', i.type, 'value', i.value))
                AS indicators,
              count(*) AS sightings, sum(s.count) AS total_count,
              min(s.first_seen) AS first_seen, max(s.last_seen) AS last_seen
         FROM sightings s
         JOIN indicators i ON i.id = s.indicator_id
         JOIN organizations o ON o.id = s.organization_id
        ${clauses.length ? `WHERE ${clauses.join(' AND ')}` : ''}
        GROUP BY s.network, s.customer, s.organization_id, o.name
        ORDER BY sum(s.count) DESC, s.network NULLS LAST, s.customer NULLS LAST, s.organization_id
        LIMIT $${params.length}`,
      params,
    );
    return rows.map((r) => ({
      network: r.network,
      customer: r.customer,
      organizationId: r.organization_id,
      organizationName: r.organization_name,
      indicators: [...r.indicators].sort((a, b) =>
        a.value < b.value ? -1 : a.value > b.value ? 1 : a.type.localeCompare(b.type),
      ),
      sightings: Number(r.sightings),
      totalCount: Number(r.total_count),
      firstSeen: r.first_seen,
      lastSeen: r.last_seen,
    }));
  }
}
