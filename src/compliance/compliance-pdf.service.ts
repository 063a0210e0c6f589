import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditService } from '#src/audit/audit.service.js';
import type { Principal } from '#src/auth/principal.js';
import { Clock } from '#src/common/clock/clock.js';
import {
  renderCompliancePdf,
  type CompliancePdfData,
  type PdfCheckpoint,
} from '#src/compliance/compliance-pdf.js';
import { CompliancePdfRepository } from '#src/compliance/compliance-pdf.repository.js';
import { ComplianceRepository } from '#src/compliance/compliance.repository.js';
import {
  ComplianceService,
  fileStamp,
  toIspCompliance,
} from '#src/compliance/compliance.service.js';
import type { CompliancePdfQuery } from '#src/compliance/dto/compliance.dto.js';
import { DepartmentIdentityService } from '#src/feed/department-identity.service.js';

export interface CompliancePdfFile {
  filename: string;
  body: Buffer;
}

/**
 * The compliance report as a PDF: the figures of the JSON report and the requests of the
 * window read in one REPEATABLE READ transaction, which also records the export in the audit
 * trail (so the event and the figures it describes are one snapshot, and no file goes out
 * unless its event is written).
 */
@Injectable()
export class CompliancePdfService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly compliance: ComplianceService,
    private readonly figures: ComplianceRepository,
    private readonly requests: CompliancePdfRepository,
    private readonly department: DepartmentIdentityService,
    private readonly audit: AuditService,
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
    const body = await this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const rows = await this.figures.report(from, to, generatedAt, manager);
      const data: CompliancePdfData = {
        department: department.name,
        from,
        to,
        // The ISPs that had something to do in the window (the JSON and CSV list every ISP).
        isps: rows.filter((r) => r.assignments > 0).map(toIspCompliance),
        requests: await this.requests.requests(manager, from, to, generatedAt),
      };
      const pdf = await renderCompliancePdf(data, lang, { generatedAt, checkpoint });
      await this.audit.record(manager, {
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
        },
      });
      return pdf;
    });
    const name = `compliance-${fileStamp(from.toISOString())}-${fileStamp(to.toISOString())}`;
    return { filename: `${name}-${lang}.pdf`, body };
  }
}
