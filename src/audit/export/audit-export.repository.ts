import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  auditEventSelect,
  chainTime,
  eventFields,
  type AuditEventRow,
} from '#src/audit/trail/event-columns.js';
import type { ChainRow } from '#src/audit/export/export-writer.js';

/** Which events an export selects (AND of what is given). */
export interface ExportSelection {
  from?: Date;
  to?: Date;
  organizationId?: string;
  blockingRequestId?: string;
}

/** A row of the chain; the event's own columns are there (not null) only when it is selected. */
type SelectedRow =
  | (AuditEventRow & { selected: true })
  | (Pick<AuditEventRow, 'seq' | 'digest' | 'hash'> & { selected: false });

/** Rows fetched from the cursor at a time: a few MB, whatever the size of the trail. */
const FETCH_ROWS = 2000;

/**
 * The SQL condition (on `e`, a row of audit_events) of a selection; its values are appended to
 * `params`. docs/audit.md#what-an-export-holds defines each filter; keep the two in step.
 */
function selectionSql(selection: ExportSelection, params: unknown[]): string {
  const p = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const and: string[] = [];
  if (selection.from) and.push(`e.at >= ${p(selection.from)}`);
  if (selection.to) and.push(`e.at < ${p(selection.to)}`);
  if (selection.organizationId) {
    // Typed once (uuid), cast to text where compared with text columns.
    const org = `${p(selection.organizationId)}::uuid`;
    and.push(`(
      e.organization_id = ${org}
      OR e.summary ->> 'organizationId' = ${org}::text
      OR (e.object_type = 'organization' AND e.object_id = ${org}::text)
      OR (e.object_type = 'user'
          AND e.object_id IN (SELECT id::text FROM users WHERE organization_id = ${org}))
      OR (e.object_type = 'api_client'
          AND e.object_id IN (SELECT id::text FROM api_clients WHERE organization_id = ${org}))
      OR (e.object_type = 'assignment'
          AND e.object_id IN (SELECT id::text FROM assignments WHERE organization_id = ${org}))
      OR (e.object_type = 'feed_receipt'
          AND e.object_id IN (SELECT id::text FROM feed_receipts WHERE organization_id = ${org}))
      OR (e.object_type = 'webhook_subscription'
          AND e.object_id IN (SELECT id::text FROM webhook_subscriptions
                               WHERE organization_id = ${org}))
      OR (e.object_type = 'blocking_request'
          AND e.action IN ('blocking_request.approve', 'blocking_request.withdraw',
                           'blocking_request.complete')
          AND e.object_id IN (SELECT request_id::text FROM assignments
                               WHERE organization_id = ${org})))`);
  }
  if (selection.blockingRequestId) {
    const request = `${p(selection.blockingRequestId)}::uuid`;
    and.push(`(
      (e.object_type = 'blocking_request' AND e.object_id = ${request}::text)
      OR (e.object_type = 'assignment'
          AND e.object_id IN (SELECT id::text FROM assignments WHERE request_id = ${request}))
      OR (e.object_type = 'feed_receipt'
          AND e.object_id IN (SELECT c.receipt_id::text FROM confirmations c
                                JOIN assignments a ON a.id = c.assignment_id
                               WHERE a.request_id = ${request}
                                 AND c.receipt_id IS NOT NULL))
      OR (e.object_type = 'indicator'
          AND e.object_id IN (SELECT indicator_id::text FROM blocking_request_items
                               WHERE request_id = ${request})))`);
  }
  return and.length ? `COALESCE(${and.join(' AND ')}, false)` : 'true';
}

function toChainRow(r: SelectedRow): ChainRow {
  const row: ChainRow = {
    seq: Number(r.seq),
    digest: r.digest.toString('hex'),
    hash: r.hash.toString('hex'),
  };
  // The time as stored, as the verification reads it: microseconds the chain never writes stay.
  if (r.selected) row.fields = eventFields(r, chainTime(r.at_micros));
  return row;
}

/**
 * Reads audit_events for an export, inside the caller's transaction (REPEATABLE READ: the
 * rows, the chain and the checkpoint are one snapshot). Never writes.
 */
@Injectable()
export class AuditExportRepository {
  constructor(private readonly dataSource: DataSource) {}

  async organizationExists(id: string): Promise<boolean> {
    const rows = await this.dataSource.query<unknown[]>(
      `SELECT 1 FROM organizations WHERE id = $1`,
      [id],
    );
    return rows.length > 0;
  }

  async blockingRequestExists(id: string): Promise<boolean> {
    const rows = await this.dataSource.query<unknown[]>(
      `SELECT 1 FROM blocking_requests WHERE id = $1`,
      [id],
    );
    return rows.length > 0;
  }

  /** The first event up to `size` that the selection takes; undefined when none does. */
  async firstSelected(
    manager: EntityManager,
    selection: ExportSelection,
    size: number,
  ): Promise<number | undefined> {
    const params: unknown[] = [size];
    const [row] = await manager.query<{ first: string | null }[]>(
      `SELECT min(e.seq)::text AS first FROM audit_events e
        WHERE e.seq <= $1 AND ${selectionSql(selection, params)}`,
      params,
    );
    return row?.first == null ? undefined : Number(row.first);
  }

  /**
   * The event the chain continues from before `seq`: seq − 1 in a whole chain; the one before
   * a gap when rows were deleted there (so that the export shows the gap); undefined when there
   * is none (the chain starts at genesis). seq − 1 is looked up exactly first: the search
   * backwards is only for a damaged chain.
   */
  async previous(
    manager: EntityManager,
    seq: number,
  ): Promise<{ seq: number; hash: string } | undefined> {
    if (seq <= 1) return undefined;
    const find = async (sql: string) =>
      (await manager.query<{ seq: string; hash: string }[]>(sql, [seq]))[0];
    const row =
      (await find(
        `SELECT seq::text AS seq, encode(hash, 'hex') AS hash FROM audit_events WHERE seq = $1 - 1`,
      )) ??
      (await find(
        `SELECT seq::text AS seq, encode(hash, 'hex') AS hash FROM audit_events
          WHERE seq = (SELECT max(seq) FROM audit_events WHERE seq < $1)`,
      ));
    return row === undefined ? undefined : { seq: Number(row.seq), hash: row.hash };
  }

  /**
   * Every event from `firstSeq` to `lastSeq` in seq order, with its fields when the selection
   * takes it, handed to `write` a batch at a time (a cursor: flat memory for any range).
   */
  async streamChain(
    manager: EntityManager,
    selection: ExportSelection,
    firstSeq: number,
    lastSeq: number,
    write: (rows: ChainRow[]) => Promise<void>,
  ): Promise<void> {
    if (firstSeq > lastSeq) return;
    const params: unknown[] = [firstSeq, lastSeq];
    const selected = selectionSql(selection, params);
    await manager.query(
      `DECLARE audit_export NO SCROLL CURSOR FOR
       SELECT ${auditEventSelect('e', 's.selected')}, s.selected
         FROM audit_events e
        CROSS JOIN LATERAL (SELECT ${selected} AS selected) s
        WHERE e.seq BETWEEN $1 AND $2
        ORDER BY e.seq`,
      params,
    );
    try {
      for (;;) {
        const rows = await manager.query<SelectedRow[]>(`FETCH ${FETCH_ROWS} FROM audit_export`);
        if (rows.length > 0) await write(rows.map(toChainRow));
        if (rows.length < FETCH_ROWS) break;
      }
    } finally {
      await manager.query(`CLOSE audit_export`).catch(() => undefined);
    }
  }
}
