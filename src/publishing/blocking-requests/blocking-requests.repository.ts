import { Injectable } from '@nestjs/common';
import { updateIfVersion } from '#src/platform/database/index.js';
import { DataSource, type EntityManager } from 'typeorm';
import {
  BlockingRequestEntity,
  type ItemOperation,
  type RequestCategory,
  type RequestStatus,
  type Severity,
} from '#src/publishing/blocking-requests/blocking-request.entity.js';
import { type Keyset, keysetPage } from '#src/platform/pagination/index.js';
import type { TenantScope } from '#src/identity/index.js';
import type { IndicatorType } from '#src/publishing/indicators/canonical.js';

export interface RequestFilter {
  status?: RequestStatus;
  category?: RequestCategory;
  severity?: Severity;
  indicatorId?: string;
  createdFrom?: Date;
  createdTo?: Date;
}

export interface ItemRow {
  indicator_id: string;
  type: IndicatorType;
  value: string;
  operation: ItemOperation;
  status: string;
  tlp: string;
  valid_from: Date;
  valid_until: Date | null;
}

export interface HistoryRow {
  from_status: string | null;
  to_status: string;
  actor_id: string | null;
  comment: string | null;
  at: Date;
}

const VISIBLE_TO_ISP = `r.status IN ('published', 'completed', 'withdrawn')
  AND (r.targets_all OR :org = ANY(r.target_organization_ids))`;

@Injectable()
export class BlockingRequestsRepository {
  constructor(private readonly dataSource: DataSource) {}

  private repo(manager?: EntityManager) {
    return (manager ?? this.dataSource.manager).getRepository(BlockingRequestEntity);
  }

  async findVisible(id: string, audience: TenantScope): Promise<BlockingRequestEntity | null> {
    const qb = this.repo().createQueryBuilder('r').where('r.id = :id', { id });
    if (audience.organizationId !== undefined) {
      qb.andWhere(VISIBLE_TO_ISP, { org: audience.organizationId });
    }
    return qb.getOne();
  }

  /** The request, locked until the end of the transaction. */
  lockById(manager: EntityManager, id: string): Promise<BlockingRequestEntity | null> {
    return this.repo(manager)
      .createQueryBuilder('r')
      .setLock('pessimistic_write')
      .where('r.id = :id', { id })
      .getOne();
  }

  listPage(
    filter: RequestFilter,
    audience: TenantScope,
    after: Keyset | undefined,
    limit: number,
  ): Promise<BlockingRequestEntity[]> {
    const qb = this.repo().createQueryBuilder('r');
    if (audience.organizationId !== undefined) {
      qb.andWhere(VISIBLE_TO_ISP, { org: audience.organizationId });
    }
    if (filter.status) qb.andWhere('r.status = :status', { status: filter.status });
    if (filter.category) qb.andWhere('r.category = :category', { category: filter.category });
    if (filter.severity) qb.andWhere('r.severity = :severity', { severity: filter.severity });
    if (filter.indicatorId) {
      qb.andWhere(
        'EXISTS (SELECT 1 FROM blocking_request_items i WHERE i.request_id = r.id AND i.indicator_id = :ind)',
        { ind: filter.indicatorId },
      );
    }
    if (filter.createdFrom) qb.andWhere('r.created_at >= :from', { from: filter.createdFrom });
    if (filter.createdTo) qb.andWhere('r.created_at < :to', { to: filter.createdTo });
    return keysetPage(qb, 'r', after, limit).getMany();
  }

  insert(
    manager: EntityManager,
    values: Partial<BlockingRequestEntity>,
  ): Promise<BlockingRequestEntity> {
    const repo = this.repo(manager);
    return repo.save(repo.create(values));
  }

  /** Applies the changes if the row still has `version` (and bumps it); false otherwise. */
  async updateIfVersion(
    manager: EntityManager,
    id: string,
    version: number,
    changes: Partial<BlockingRequestEntity>,
  ): Promise<boolean> {
    return updateIfVersion(this.repo(manager), id, version, changes);
  }

  async addHistory(
    manager: EntityManager,
    requestId: string,
    from: RequestStatus | null,
    to: RequestStatus,
    actorId: string | null,
    comment: string | null,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO blocking_request_history (request_id, from_status, to_status, actor_id, comment)
       VALUES ($1, $2, $3, $4, $5)`,
      [requestId, from, to, actorId, comment],
    );
  }

  history(requestId: string): Promise<HistoryRow[]> {
    return this.dataSource.query(
      `SELECT from_status, to_status, actor_id, comment, at FROM blocking_request_history
        WHERE request_id = $1 ORDER BY id`,
      [requestId],
    );
  }

  /** Adds items (set-based); returns how many were new. Also refreshes item_count. */
  /** Of these indicators, those the request has already with another operation. */
  async withOtherOperation(
    manager: EntityManager,
    requestId: string,
    indicatorIds: string[],
    operation: ItemOperation,
  ): Promise<{ indicator_id: string; value: string }[]> {
    return manager.query(
      `SELECT i.indicator_id, n.value FROM blocking_request_items i
         JOIN indicators n ON n.id = i.indicator_id
        WHERE i.request_id = $1 AND i.indicator_id = ANY($2::uuid[]) AND i.operation <> $3
        LIMIT 100`,
      [requestId, indicatorIds, operation],
    );
  }

  async addItems(
    manager: EntityManager,
    requestId: string,
    indicatorIds: string[],
    operation: ItemOperation,
  ): Promise<number> {
    const rows = await manager.query<unknown[]>(
      `INSERT INTO blocking_request_items (request_id, indicator_id, operation)
       SELECT $1, id, $3 FROM unnest($2::uuid[]) AS u(id)
       ON CONFLICT (request_id, indicator_id) DO NOTHING RETURNING 1`,
      [requestId, indicatorIds, operation],
    );
    await this.refreshCount(manager, requestId);
    return rows.length;
  }

  async removeItem(
    manager: EntityManager,
    requestId: string,
    indicatorId: string,
  ): Promise<boolean> {
    const [, affected] = await manager.query<[unknown, number]>(
      `DELETE FROM blocking_request_items WHERE request_id = $1 AND indicator_id = $2`,
      [requestId, indicatorId],
    );
    await this.refreshCount(manager, requestId);
    return affected > 0;
  }

  private async refreshCount(manager: EntityManager, requestId: string): Promise<void> {
    await manager.query(
      `UPDATE blocking_requests SET item_count =
         (SELECT count(*) FROM blocking_request_items WHERE request_id = $1) WHERE id = $1`,
      [requestId],
    );
  }

  itemsPage(requestId: string, after: string | undefined, limit: number): Promise<ItemRow[]> {
    return this.dataSource.query(
      `SELECT i.indicator_id, n.type, n.value, i.operation, n.status, n.tlp, n.valid_from, n.valid_until
         FROM blocking_request_items i JOIN indicators n ON n.id = i.indicator_id
        WHERE i.request_id = $1 AND ($2::uuid IS NULL OR i.indicator_id > $2)
        ORDER BY i.indicator_id LIMIT $3`,
      [requestId, after ?? null, limit + 1],
    );
  }

  /** Every item with its indicator (publication reads them all at once). */
  allItems(manager: EntityManager, requestId: string): Promise<ItemRow[]> {
    return manager.query(
      `SELECT i.indicator_id, n.type, n.value, i.operation, n.status, n.tlp, n.valid_from, n.valid_until
         FROM blocking_request_items i JOIN indicators n ON n.id = i.indicator_id
        WHERE i.request_id = $1`,
      [requestId],
    );
  }

  /** Of these organization ids, those that exist and are ISPs. */
  async ispIds(ids: string[]): Promise<Set<string>> {
    const rows = await this.dataSource.query<{ id: string }[]>(
      `SELECT id FROM organizations WHERE kind = 'isp' AND id = ANY($1::uuid[])`,
      [ids],
    );
    return new Set(rows.map((r) => r.id));
  }

  async allIspIds(manager: EntityManager): Promise<string[]> {
    const rows = await manager.query<{ id: string }[]>(
      `SELECT id FROM organizations WHERE kind = 'isp' ORDER BY id`,
    );
    return rows.map((r) => r.id);
  }
}
