import { createHash, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { notFound, validationProblem } from '#src/platform/problem/index.js';
import { DataSource } from 'typeorm';
import { AuditKeysService } from '#src/audit/trail/audit-keys.service.js';
import { AuditSealer } from '#src/audit/trail/audit-sealer.js';
import { AuditService } from '#src/audit/trail/audit.service.js';
import { CheckpointSigner } from '#src/audit/trail/checkpoint-signer.js';
import { GENESIS_HASH, type SignedCheckpoint } from '#src/audit/trail/chain.js';
import {
  AuditExportRepository,
  type ExportSelection,
} from '#src/audit/export/audit-export.repository.js';
import type { AuditExportQuery } from '#src/audit/export/dto/audit-export.dto.js';
import {
  compactTime,
  EVENTS_JSONL,
  EXPORT_FORMAT,
  EXPORT_VERSION,
  CHAIN_CSV,
  manifestBytes,
  type ExportFilters,
  type ExportManifest,
} from '#src/audit/export/export-format.js';
import { ExportFiles } from '#src/audit/export/export-writer.js';
import { actorType, type Principal } from '#src/identity/index.js';
import { Clock } from '#src/platform/clock/index.js';

/** An export ready to send: its file name and the ZIP, streamed from temporary files. */
export interface AuditExportFile {
  filename: string;
  id: string;
  body: Readable;
}

/**
 * Verifiable exports of the audit trail (docs/audit.md#exports): the selected events as JSON
 * lines and CSV, the chain from the first of them to a checkpoint signed for the export, and a
 * signed manifest, in one ZIP that `threat-exchange audit-verify` checks offline.
 */
@Injectable()
export class AuditExportService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: AuditExportRepository,
    private readonly checkpoints: CheckpointSigner,
    private readonly keys: AuditKeysService,
    private readonly audit: AuditService,
    private readonly sealer: AuditSealer,
    private readonly clock: Clock,
  ) {}

  async export(caller: Principal, query: AuditExportQuery): Promise<AuditExportFile> {
    const filters = this.filters(query);
    if (
      filters.organizationId &&
      !(await this.repository.organizationExists(filters.organizationId))
    )
      throw notFound('organization');
    if (
      filters.blockingRequestId &&
      !(await this.repository.blockingRequestExists(filters.blockingRequestId))
    )
      throw notFound('blocking request');
    const selection: ExportSelection = {
      from: query.from,
      to: query.to,
      organizationId: filters.organizationId ?? undefined,
      blockingRequestId: filters.blockingRequestId ?? undefined,
    };
    const csv = { language: query.lang ?? 'vi', bom: query.bom === 'true' } as const;
    // Everything committed before the request is chained, so that the snapshot holds it.
    await this.sealer.flush();
    const files = await ExportFiles.create(csv);
    try {
      // One snapshot for the rows, the chain and the checkpoint (which is why the checkpoint
      // is inserted here, in a read-write REPEATABLE READ transaction). The export's own event
      // is recorded afterwards, once the file is complete, in a transaction of its own.
      const { checkpoint, range, listed } = await this.dataSource.transaction(
        'REPEATABLE READ',
        async (manager) => {
          const checkpoint = await this.checkpoints.create('export', manager);
          const selected =
            (await this.repository.firstSelected(manager, selection, checkpoint.size)) ??
            checkpoint.size + 1;
          // The chain.csv range starts at the first selected event, from the hash before it.
          const previous = await this.repository.previous(manager, selected);
          const first = (previous?.seq ?? 0) + 1;
          const previousHash = previous?.hash ?? GENESIS_HASH.toString('hex');
          await this.repository.streamChain(manager, selection, first, checkpoint.size, (rows) =>
            files.add(rows),
          );
          const range = { firstSeq: first, lastSeq: checkpoint.size, previousHash };
          return { checkpoint, range, listed: await files.finish() };
        },
      );
      const { keyId } = this.keys.signing();
      const manifest: ExportManifest = {
        format: EXPORT_FORMAT,
        version: EXPORT_VERSION,
        id: randomUUID(),
        createdAt: this.clock.now().toISOString(),
        exportedBy: {
          actorType: actorType(caller),
          actorId: caller.id,
          organizationId: caller.organizationId,
        },
        filters,
        csv,
        range,
        files: listed,
        checkpoint,
        keyId,
      };
      const signed = this.keys.sign(manifest as unknown as Record<string, unknown>);
      if (signed.keyId !== keyId) throw new Error('the audit key changed while signing an export');
      await this.audit.record(undefined, {
        actor: caller,
        action: 'audit.export',
        objectType: 'audit_export',
        objectId: manifest.id,
        summary: {
          filters,
          csv,
          events: listed.find((f) => f.name === EVENTS_JSONL)?.events ?? 0,
          chainEvents: listed.find((f) => f.name === CHAIN_CSV)?.events ?? 0,
          range: { firstSeq: range.firstSeq, lastSeq: range.lastSeq },
          checkpointSize: checkpoint.size,
          manifestSha256: createHash('sha256').update(manifestBytes(manifest)).digest('hex'),
        },
      });
      const body = files.zip(manifest, signed.signature, await this.publicKeyPem(keyId));
      // The temporary files go once the archive was sent, or the client went away.
      finished(body, () => void files.remove());
      return { filename: this.filename(filters, checkpoint), id: manifest.id, body };
    } catch (error) {
      await files.remove();
      throw error;
    }
  }

  /** The filters as the manifest states them; at least one, or `all=true` alone. */
  private filters(query: AuditExportQuery): ExportFilters {
    const all = query.all === 'true';
    const filtered =
      query.from !== undefined ||
      query.to !== undefined ||
      query.organizationId !== undefined ||
      query.blockingRequestId !== undefined;
    if (all && filtered) {
      throw validationProblem([
        { name: 'all', reason: 'all=true exports the whole trail: it takes no other filter' },
      ]);
    }
    if (!all && !filtered) {
      throw validationProblem([
        {
          name: 'all',
          reason:
            'give from, to, organizationId or blockingRequestId, or all=true for the whole trail',
        },
      ]);
    }
    if (query.from && query.to && query.from.getTime() >= query.to.getTime()) {
      throw validationProblem([{ name: 'to', reason: 'to must be after from' }]);
    }
    return {
      from: query.from?.toISOString() ?? null,
      to: query.to?.toISOString() ?? null,
      organizationId: query.organizationId ?? null,
      blockingRequestId: query.blockingRequestId ?? null,
      all,
    };
  }

  private filename(filters: ExportFilters, checkpoint: SignedCheckpoint): string {
    const from = filters.from ? compactTime(filters.from) : 'start';
    return `audit-export-${from}-${compactTime(filters.to ?? checkpoint.time)}.zip`;
  }

  private async publicKeyPem(keyId: string): Promise<string> {
    const key = (await this.keys.publicKeys()).find((k) => k.keyId === keyId);
    if (key === undefined) throw new Error(`audit key ${keyId} is not published`);
    return key.pem;
  }
}
