import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Queryable } from '#src/platform/database/index.js';
import { type Keyset, keysetPage } from '#src/platform/pagination/index.js';
import {
  ImportJobEntity,
  type ImportStatus,
  type RejectedRow,
} from '#src/publishing/imports/import-job.entity.js';

export interface ImportCounters {
  rowsRead: number;
  bytesRead: number;
  rejected: number;
  rejectedRows: RejectedRow[];
}

/** The error of a job whose process died. */
export const INTERRUPTED =
  'interrupted: the service stopped during the import; nothing was imported';

@Injectable()
export class ImportsRepository {
  constructor(private readonly dataSource: DataSource) {}

  private get repo() {
    return this.dataSource.getRepository(ImportJobEntity);
  }

  findById(id: string): Promise<ImportJobEntity | null> {
    return this.repo.findOneBy({ id });
  }

  listPage(after: Keyset | undefined, limit: number): Promise<ImportJobEntity[]> {
    return keysetPage(this.repo.createQueryBuilder('j'), 'j', after, limit).getMany();
  }

  create(
    job: Pick<
      ImportJobEntity,
      'id' | 'organizationId' | 'createdBy' | 'format' | 'mode' | 'bytesExpected' | 'defaults'
    >,
  ): Promise<ImportJobEntity> {
    return this.repo.save(this.repo.create({ ...job, status: 'receiving' }));
  }

  async progress(id: string, c: ImportCounters, status: ImportStatus): Promise<void> {
    await this.dataSource.query(
      `UPDATE imports SET status = $2, rows_read = $3, bytes_read = $4, rows_rejected = $5,
              rejected = $6, updated_at = now() WHERE id = $1`,
      [id, status, c.rowsRead, c.bytesRead, c.rejected, JSON.stringify(c.rejectedRows)],
    );
  }

  /** The final report; through `connection` when it must commit with the merge. */
  async finish(
    id: string,
    c: ImportCounters,
    result: { status: 'succeeded' | 'failed'; created: number; existing: number; error?: string },
    connection: Queryable = this.dataSource,
  ): Promise<void> {
    await connection.query(
      `UPDATE imports SET status = $2, rows_read = $3, bytes_read = $4, rows_rejected = $5,
              rejected = $6, rows_created = $7, rows_existing = $8, error = $9,
              finished_at = now(), updated_at = now()
        WHERE id = $1`,
      [
        id,
        result.status,
        c.rowsRead,
        c.bytesRead,
        c.rejected,
        JSON.stringify(c.rejectedRows),
        result.created,
        result.existing,
        result.error ?? null,
      ],
    );
  }

  /** Fails one running job if its connection's lock is free; its status before, if it did. */
  async failIfOrphan(manager: EntityManager, id: string): Promise<ImportStatus | undefined> {
    const rows = await manager.query<{ id: string; status: ImportStatus }[]>(
      `SELECT id, status FROM imports WHERE id = $1 AND status IN ('receiving', 'merging')
          AND pg_try_advisory_xact_lock(hashtextextended(id::text, 0))`,
      [id],
    );
    if (rows.length === 0) return undefined;
    await manager.query(
      `UPDATE imports SET status = 'failed', error = $2, finished_at = now(), updated_at = now()
        WHERE id = $1`,
      [id, INTERRUPTED],
    );
    return rows[0].status;
  }

  /**
   * Jobs still receiving or merging whose connection is gone: the advisory lock its import
   * connection held is free. Marks them failed; returns them with their status before.
   */
  async failOrphans(manager: EntityManager): Promise<{ id: string; status: ImportStatus }[]> {
    const rows = await manager.query<{ id: string; status: ImportStatus }[]>(
      `SELECT id, status FROM imports WHERE status IN ('receiving', 'merging')
          AND pg_try_advisory_xact_lock(hashtextextended(id::text, 0))`,
    );
    if (rows.length === 0) return [];
    await manager.query(
      `UPDATE imports SET status = 'failed', error = $2, finished_at = now(), updated_at = now()
        WHERE id = ANY($1::uuid[])`,
      [rows.map((r) => r.id), INTERRUPTED],
    );
    return rows;
  }
}
