import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { OrganizationContacts, TenantScope } from '#src/identity/index.js';
import { keysetOrderSql, keysetSql, type Keyset } from '#src/platform/pagination/index.js';
import type { UnitCategory } from '#src/response/units/dto/unit.dto.js';

export interface UnitRow extends Keyset {
  id: string;
  name: string;
  shortCode: string;
  contacts: OrganizationContacts;
  category: UnitCategory;
  district: string | null;
  asns: number[];
  networkCount: number;
  updatedAt: Date;
  version: number;
}

export interface UnitNetworkRow {
  id: string;
  unitId: string;
  network: string;
  createdAt: Date;
}

export interface UnitFilter {
  scope: TenantScope;
  category?: UnitCategory;
  district?: string;
  q?: string;
}

export interface NewUnit {
  organizationId: string;
  category: UnitCategory;
  district: string | null;
  asns: number[];
}

/** A network that overlaps one of the given networks: whose it is. */
export interface Overlap {
  /** Index into the given networks. */
  index: number;
  network: string;
  unitId: string;
  shortCode: string;
}

interface RawUnit {
  id: string;
  name: string;
  short_code: string;
  contacts: OrganizationContacts;
  category: UnitCategory;
  district: string | null;
  asns: string[];
  network_count: number;
  created_at: Date;
  updated_at: Date;
  version: number;
}

const SELECT_UNIT = `
  SELECT * FROM (
    SELECT u.organization_id AS id, o.name, o.short_code, o.contacts, u.category, u.district,
           u.asns::text[] AS asns, u.created_at, u.updated_at, u.version,
           (SELECT count(*)::int FROM unit_networks n WHERE n.unit_id = u.organization_id)
             AS network_count
      FROM units u JOIN organizations o ON o.id = u.organization_id) x`;

function toRow(r: RawUnit): UnitRow {
  return {
    id: r.id,
    name: r.name,
    shortCode: r.short_code,
    contacts: r.contacts,
    category: r.category,
    district: r.district,
    asns: r.asns.map(Number),
    networkCount: r.network_count,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    version: r.version,
  };
}

/** `units` and `unit_networks` (no entities: SQL only). Names and contacts are the organization's. */
@Injectable()
export class UnitsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async list(filter: UnitFilter, after: Keyset | undefined, limit: number): Promise<UnitRow[]> {
    const params: unknown[] = [];
    const clauses: string[] = [];
    const add = (sql: (p: string) => string, value: unknown): void => {
      params.push(value);
      clauses.push(sql(`$${params.length}`));
    };
    if (filter.scope.organizationId !== undefined)
      add((p) => `x.id = ${p}`, filter.scope.organizationId);
    if (filter.category !== undefined) add((p) => `x.category = ${p}`, filter.category);
    if (filter.district !== undefined)
      add((p) => `lower(x.district) = lower(${p})`, filter.district);
    if (filter.q !== undefined) {
      const pattern = `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      add((p) => `(x.name ILIKE ${p} OR x.short_code ILIKE ${p})`, pattern);
    }
    if (after) clauses.push(keysetSql('x', after, params));
    params.push(limit + 1);
    const rows = await this.dataSource.query<RawUnit[]>(
      `${SELECT_UNIT}
        ${clauses.length ? `WHERE ${clauses.join(' AND ')}` : ''}
        ORDER BY ${keysetOrderSql('x')}
        LIMIT $${params.length}`,
      params,
    );
    return rows.map(toRow);
  }

  async findById(id: string, manager?: EntityManager): Promise<UnitRow | null> {
    const rows = await (manager ?? this.dataSource.manager).query<RawUnit[]>(
      `${SELECT_UNIT} WHERE x.id = $1`,
      [id],
    );
    return rows.length > 0 ? toRow(rows[0]) : null;
  }

  /** Locks the unit's row until the end of the transaction; its version, or null if none. */
  async lock(manager: EntityManager, id: string): Promise<number | null> {
    const rows = await manager.query<{ version: number }[]>(
      `SELECT version FROM units WHERE organization_id = $1 FOR UPDATE`,
      [id],
    );
    return rows.length > 0 ? rows[0].version : null;
  }

  networksOf(id: string, manager?: EntityManager): Promise<UnitNetworkRow[]> {
    return (manager ?? this.dataSource.manager).query<UnitNetworkRow[]>(
      `SELECT id, unit_id AS "unitId", network::text AS network, created_at AS "createdAt"
         FROM unit_networks WHERE unit_id = $1 ORDER BY family(network), network`,
      [id],
    );
  }

  async insertUnits(manager: EntityManager, units: NewUnit[]): Promise<void> {
    await manager.query(
      `INSERT INTO units (organization_id, category, district, asns)
       SELECT o, c, d, (SELECT coalesce(array_agg(a::bigint), '{}') FROM
                          unnest(string_to_array(nullif(s, ''), ' ')) a)
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS t(o, c, d, s)`,
      [
        units.map((u) => u.organizationId),
        units.map((u) => u.category),
        units.map((u) => u.district),
        units.map((u) => u.asns.join(' ')),
      ],
    );
  }

  /** Adds networks (unit, canonical CIDR) and bumps their units' networks revision. */
  async insertNetworks(
    manager: EntityManager,
    networks: { unitId: string; network: string }[],
  ): Promise<UnitNetworkRow[]> {
    if (networks.length === 0) return [];
    const rows = await manager.query<UnitNetworkRow[]>(
      `INSERT INTO unit_networks (unit_id, network)
       SELECT u, n FROM unnest($1::uuid[], $2::cidr[]) AS t(u, n)
       RETURNING id, unit_id AS "unitId", network::text AS network, created_at AS "createdAt"`,
      [networks.map((n) => n.unitId), networks.map((n) => n.network)],
    );
    await this.bumpRevision(manager, [...new Set(networks.map((n) => n.unitId))]);
    return rows;
  }

  /** Removes one network of the unit; the removed network, or null if it has none such. */
  async deleteNetwork(
    manager: EntityManager,
    unitId: string,
    networkId: string,
  ): Promise<string | null> {
    const rows = await manager.query<{ network: string }[]>(
      // As a CTE, the answer is the rows (TypeORM answers [rows, count] for a bare DELETE).
      `WITH d AS (DELETE FROM unit_networks WHERE id = $1 AND unit_id = $2 RETURNING network)
       SELECT network::text AS network FROM d`,
      [networkId, unitId],
    );
    if (rows.length === 0) return null;
    await this.bumpRevision(manager, [unitId]);
    return rows[0].network;
  }

  private async bumpRevision(manager: EntityManager, unitIds: string[]): Promise<void> {
    await manager.query(
      `UPDATE units SET networks_revision = networks_revision + 1, updated_at = now()
        WHERE organization_id = ANY($1::uuid[])`,
      [unitIds],
    );
  }

  /** Applies the changes to the unit's own fields and bumps its version (the row is locked). */
  async update(
    manager: EntityManager,
    id: string,
    changes: { category?: UnitCategory; district?: string | null; asns?: number[] },
  ): Promise<void> {
    await manager.query(
      `UPDATE units SET
         category = CASE WHEN $2 THEN $3 ELSE category END,
         district = CASE WHEN $4 THEN $5 ELSE district END,
         asns = CASE WHEN $6 THEN $7::bigint[] ELSE asns END,
         version = version + 1, updated_at = now()
       WHERE organization_id = $1`,
      [
        id,
        changes.category !== undefined,
        changes.category ?? null,
        changes.district !== undefined,
        changes.district ?? null,
        changes.asns !== undefined,
        changes.asns ?? [],
      ],
    );
  }

  /** Existing networks that overlap any of `networks` (canonical CIDRs), with their unit. */
  overlapping(manager: EntityManager | undefined, networks: string[]): Promise<Overlap[]> {
    if (networks.length === 0) return Promise.resolve([]);
    return (manager ?? this.dataSource.manager).query<Overlap[]>(
      `SELECT (q.i - 1)::int AS index, n.network::text AS network, n.unit_id AS "unitId",
              o.short_code AS "shortCode"
         FROM unnest($1::cidr[]) WITH ORDINALITY AS q(net, i)
         JOIN unit_networks n ON n.network && q.net
         JOIN organizations o ON o.id = n.unit_id
        ORDER BY q.i, n.network`,
      [networks],
    );
  }

  /** Of these short codes (upper-case), those an organization has already. */
  async shortCodesTaken(codes: string[]): Promise<Set<string>> {
    const rows = await this.dataSource.query<{ short_code: string }[]>(
      `SELECT short_code FROM organizations WHERE short_code = ANY($1::text[])`,
      [codes],
    );
    return new Set(rows.map((r) => r.short_code));
  }

  /** Every unit network, for the matcher. */
  allNetworks(manager?: EntityManager): Promise<{ unitId: string; network: string }[]> {
    return (manager ?? this.dataSource.manager).query(
      `SELECT unit_id AS "unitId", network::text AS network FROM unit_networks`,
    );
  }

  /** Changes whenever a unit or its networks are added or changed: count and revisions. */
  async networksFingerprint(manager?: EntityManager): Promise<string> {
    const [row] = await (manager ?? this.dataSource.manager).query<{ f: string }[]>(
      `SELECT count(*) || ':' || coalesce(sum(networks_revision), 0) AS f FROM units`,
    );
    return row.f;
  }

  /** Active indicators with these canonical (type, value) pairs (publishing's table, read only). */
  activeIndicators(
    manager: EntityManager,
    values: { type: string; value: string }[],
  ): Promise<{ id: string; type: string; value: string }[]> {
    if (values.length === 0) return Promise.resolve([]);
    return manager.query(
      `SELECT i.id, i.type, i.value FROM indicators i
         JOIN unnest($1::text[], $2::text[]) AS q(t, v) ON i.type = q.t AND i.value = q.v
        WHERE i.status = 'active'`,
      [values.map((v) => v.type), values.map((v) => v.value)],
    );
  }
}
