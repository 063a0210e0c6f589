import { keysetOrderSql, keysetSql, type Keyset } from '#src/platform/pagination/index.js';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { HashCheck, Mechanism } from '#src/obligations/assignments/confirmation-values.js';
import type { TenantScope } from '#src/identity/index.js';
import type { Queryable } from '#src/platform/database/index.js';
import { readFeedVersion } from '#src/feeds/index.js';

export interface ReceiptRow {
  id: string;
  organization_id: string;
  version: string;
  format: string;
  applied_at: Date;
  mechanism: string;
  evidence: string | null;
  sha256: string | null;
  hash_check: HashCheck;
  assignments_confirmed: number;
  created_at: Date;
}

export interface NewReceipt {
  organizationId: string;
  version: number;
  format: string;
  appliedAt: Date;
  mechanism: Mechanism;
  evidence: string | null;
  sha256: string | null;
  hashCheck: HashCheck;
  actorType: 'user' | 'api_client';
  actorId: string;
}

export interface ReceiptFilter {
  organizationId?: string;
  flagged?: boolean;
}

const RECEIPT_FIELDS = [
  'id',
  'organization_id',
  'version',
  'format',
  'applied_at',
  'mechanism',
  'evidence',
  'sha256',
  'hash_check',
  'assignments_confirmed',
  'created_at',
];
const RECEIPT_COLUMNS = RECEIPT_FIELDS.join(', ');

/** The feed_receipts table, and what a receipt checks in the feed (its version, the pulls). */
@Injectable()
export class ReceiptsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The committed feed version (decision 0005). */
  async feedVersion(connection: Queryable = this.dataSource): Promise<number> {
    return readFeedVersion(connection);
  }

  /** Whether a pull of the organization reached `version` or beyond. */
  async served(organizationId: string, version: number): Promise<boolean> {
    const rows = await this.dataSource.query<unknown[]>(
      `SELECT 1 FROM feed_pulls
        WHERE organization_id = $1 AND to_version >= $2 AND status IN (200, 304) LIMIT 1`,
      [organizationId, version],
    );
    return rows.length > 0;
  }

  /** Whether a body with this hash was served to the organization at this version and format. */
  async servedWithHash(
    organizationId: string,
    version: number,
    format: string,
    sha256: string,
  ): Promise<boolean> {
    const rows = await this.dataSource.query<unknown[]>(
      `SELECT 1 FROM feed_pulls
        WHERE organization_id = $1 AND to_version = $2 AND format = $3 AND sha256 = $4
          AND status = 200 LIMIT 1`,
      [organizationId, version, format, sha256],
    );
    return rows.length > 0;
  }

  async insert(manager: EntityManager, r: NewReceipt): Promise<ReceiptRow> {
    const [row] = await manager.query<ReceiptRow[]>(
      `INSERT INTO feed_receipts (organization_id, version, format, applied_at, mechanism, evidence,
                                  sha256, hash_check, actor_type, actor_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       RETURNING ${RECEIPT_COLUMNS}`,
      [
        r.organizationId,
        r.version,
        r.format,
        r.appliedAt,
        r.mechanism,
        r.evidence,
        r.sha256,
        r.hashCheck,
        r.actorType,
        r.actorId,
      ],
    );
    return row;
  }

  async setConfirmedCount(manager: EntityManager, id: string, count: number): Promise<void> {
    await manager.query(`UPDATE feed_receipts SET assignments_confirmed = $2 WHERE id = $1`, [
      id,
      count,
    ]);
  }

  listPage(
    filter: ReceiptFilter,
    scope: TenantScope,
    after: Keyset | undefined,
    limit: number,
  ): Promise<ReceiptRow[]> {
    const params: unknown[] = [];
    const where: string[] = [];
    for (const org of [scope.organizationId, filter.organizationId]) {
      if (org === undefined) continue;
      params.push(org);
      where.push(`f.organization_id = $${params.length}`);
    }
    if (filter.flagged !== undefined) {
      where.push(filter.flagged ? `f.hash_check = 'mismatch'` : `f.hash_check <> 'mismatch'`);
    }
    where.push(keysetSql('f', after, params));
    params.push(limit + 1);
    return this.dataSource.query(
      `SELECT ${RECEIPT_FIELDS.map((f) => `f.${f}`).join(', ')} FROM feed_receipts f
        WHERE ${where.join(' AND ')}
        ORDER BY ${keysetOrderSql('f')}
        LIMIT $${params.length}`,
      params,
    );
  }
}
