import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditLog } from '#src/platform/audit-log/index.js';
import { CheckpointSigner } from '#src/audit/index.js';
import type { Principal } from '#src/identity/index.js';
import { Clock } from '#src/platform/clock/index.js';
import {
  renderCompliancePdf,
  type CompliancePdfData,
  type PdfCheckpoint,
} from '#src/obligations/compliance/compliance-pdf.js';
import { CompliancePdfRepository } from '#src/obligations/compliance/compliance-pdf.repository.js';
import { ComplianceRepository } from '#src/obligations/compliance/compliance.repository.js';
import {
  ComplianceService,
  fileStamp,
  toIspCompliance,
} from '#src/obligations/compliance/compliance.service.js';
import type { CompliancePdfQuery } from '#src/obligations/compliance/dto/compliance.dto.js';
import { DepartmentIdentityService } from '#src/feeds/index.js';

export interface CompliancePdfFile {
  filename: string;
  body: Buffer;
}

/**
 * The compliance report as a PDF: the figures of the JSON report and the requests of the
 * window read in one REPEATABLE READ transaction (one snapshot); a signed audit checkpoint is
 * made for the export and printed on every page; the export is recorded in the audit trail
 * (with the file's SHA-256, known once rendered) before the file goes out.
 */
@Injectable()
export class CompliancePdfService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly compliance: ComplianceService,
    private readonly figures: ComplianceRepository,
    private readonly requests: CompliancePdfRepository,
    private readonly department: DepartmentIdentityService,
    private readonly audit: AuditLog,
    private readonly checkpoints: CheckpointSigner,
    private readonly clock: Clock,
  ) {}

  /**
   * `checkpoint`, when given, is printed in every page's footer (the audit trail's signed
   * checkpoint at the time of the export).
   */
  async export(
    principal: Principal,
    query: CompliancePdfQuery,
    checkpoint?: PdfCheckpoint,
  ): Promise<CompliancePdfFile> {
    const generatedAt = this.clock.now();
    const { from, to } = this.compliance.window(query, generatedAt);
    const lang = query.lang ?? 'vi';
    const department = await this.department.load();
    const data = await this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const rows = await this.figures.report(from, to, generatedAt, manager);
      return {
        department: department.name,
        from,
        to,
        // The ISPs that had something to do in the window (the JSON and CSV list every ISP).
        isps: rows.filter((r) => r.assignments > 0).map(toIspCompliance),
        requests: await this.requests.requests(manager, from, to, generatedAt),
      } satisfies CompliancePdfData;
    });
    const signed = checkpoint ?? (await this.checkpoints.create('export'));
    const body = await renderCompliancePdf(data, lang, { generatedAt, checkpoint: signed });
    await this.audit.record(undefined, {
      actor: principal,
      action: 'compliance.report_export',
      objectType: 'compliance_report',
      objectId: null,
      summary: {
        from: from.toISOString(),
        to: to.toISOString(),
        lang,
        format: 'pdf',
        requests: data.requests.length,
        sha256: createHash('sha256').update(body).digest('hex'),
        checkpointSize: signed.size,
      },
    });
    const name = `compliance-${fileStamp(from.toISOString())}-${fileStamp(to.toISOString())}`;
    return { filename: `${name}-${lang}.pdf`, body };
  }
}
