import { csvDownloadHeaders } from '#src/platform/csv/index.js';
import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Roles, CurrentPrincipal, type Principal } from '#src/identity/index.js';
import { CompliancePdfService } from '#src/obligations/compliance/compliance-pdf.service.js';
import { ComplianceService } from '#src/obligations/compliance/compliance.service.js';
import {
  ComplianceCsvQuery,
  CompliancePdfQuery,
  ComplianceReport,
  ComplianceReportQuery,
} from '#src/obligations/compliance/dto/compliance.dto.js';
import { ApiProblemResponses } from '#src/platform/openapi/index.js';

const READERS = ['admin', 'analyst', 'approver', 'auditor'] as const;
const CSV_DESCRIPTION =
  'RFC 4180 CSV (UTF-8, CRLF, a header row; `bom=true` prepends a byte order mark for Excel), one row per ISP. `rejections` is their count and `rejection_reasons` joins `documentNumber: reason` with ` | `; `overdue_documents` joins the document numbers of the overdue assignments with ` | `. Empty cells are nulls. Text that a spreadsheet would run as a formula is prefixed with an apostrophe.';
const DESCRIPTION =
  'Per ISP (every ISP organization, zeros when it had nothing), over the assignments of the requests **published** in [from, to): counts by status, overdue (open and past the deadline at the time of the answer), on-time percentage, median and p90 time to apply, median time to acknowledge, rejections with their reasons, and where its feed stands (last pull, the highest version it was given, its newest change, how many changes it lacks). Definitions: docs/department.md#compliance-report.\n\nJSON by default; `format=csv`, or an `Accept` header naming `text/csv` (with a q at least that of `application/json`), answers the same figures as CSV: ' +
  CSV_DESCRIPTION;

/** q of each media range in an Accept header (lower case, parameters other than q dropped). */
function qualities(accept: string): Map<string, number> {
  const q = new Map<string, number>();
  for (const range of accept.split(',')) {
    const [type = '', ...params] = range.split(';').map((p) => p.trim().toLowerCase());
    const given = params.find((p) => /^q\s*=/.test(p));
    const value = given === undefined ? 1 : Number(given.slice(given.indexOf('=') + 1));
    if (type !== '') q.set(type, Math.max(q.get(type) ?? 0, Number.isNaN(value) ? 0 : value));
  }
  return q;
}

/** CSV when asked: `format=csv`, or (no format) Accept names text/csv at least as high as JSON. */
export function wantsCsv(format: 'json' | 'csv' | undefined, accept: string | undefined): boolean {
  if (format !== undefined) return format === 'csv';
  if (accept === undefined) return false;
  const q = qualities(accept);
  const csv = q.get('text/csv') ?? 0;
  return csv > 0 && csv >= (q.get('application/json') ?? 0);
}

async function sendCsv(
  compliance: ComplianceService,
  caller: Principal,
  query: ComplianceCsvQuery,
  reply: FastifyReply,
): Promise<string> {
  const { bom, ...window } = query;
  const file = await compliance.csv(caller, { from: window.from, to: window.to }, bom === 'true');
  void reply.headers(csvDownloadHeaders(file.filename));
  return file.body;
}

@ApiTags('Compliance')
@Controller('compliance')
export class ComplianceController {
  constructor(private readonly compliance: ComplianceService) {}

  @Get()
  @Roles(...READERS)
  @ApiOperation({
    operationId: 'getCompliance',
    summary: 'Compliance per ISP over a window of publications',
    description: DESCRIPTION,
  })
  @ApiExtraModels(ComplianceReport)
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({
    description: 'The report: JSON, or CSV when asked (`format=csv` or `Accept: text/csv`)',
    content: {
      'application/json': { schema: { $ref: getSchemaPath(ComplianceReport) } },
      'text/csv': { schema: { type: 'string' } },
    },
  })
  @ApiProblemResponses(400)
  async report(
    @CurrentPrincipal() caller: Principal,
    @Query() query: ComplianceReportQuery,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ComplianceReport | string> {
    // The answer depends on Accept: caches must key on it.
    void reply.header('vary', 'Accept');
    if (wantsCsv(query.format, accept)) return sendCsv(this.compliance, caller, query, reply);
    return this.compliance.report({ from: query.from, to: query.to });
  }
}

/** `GET /compliance/report.pdf`: the report as a document, in Vietnamese or English. */
@ApiTags('Compliance')
@Controller('compliance')
export class CompliancePdfController {
  constructor(private readonly pdf: CompliancePdfService) {}

  @Get('report.pdf')
  @Roles(...READERS)
  @ApiOperation({
    operationId: 'getCompliancePdf',
    summary: 'The compliance report as a PDF (Vietnamese or English)',
    description:
      'A document for the record over the requests **published** in [from, to) (`from` and `to` as for `GET /compliance`): the per-ISP figures of the JSON report (the ISPs with at least one assignment in the window), then each request (document number, title, publication, deadline) with its ISPs (status, acknowledged, applied and confirmed at, time to apply, overdue), the overdue assignments, and the rejections with their reasons. Times in Asia/Ho_Chi_Minh. The same window, language and clock give the same bytes. Each export is recorded in the audit trail (`compliance.report_export`). Definitions: docs/department.md#compliance-report.',
  })
  @ApiProduces('application/pdf')
  @ApiOkResponse({
    description:
      'The PDF file (`Content-Disposition: attachment; filename="compliance-<from>-<to>-<lang>.pdf"`)',
    content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } },
  })
  @ApiProblemResponses(400)
  async report(
    @CurrentPrincipal() caller: Principal,
    @Query() query: CompliancePdfQuery,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Buffer> {
    const file = await this.pdf.export(caller, query);
    void reply.headers({
      'content-type': 'application/pdf',
      'content-disposition': `attachment; filename="${file.filename}"`,
      'cache-control': 'private, no-store',
    });
    return file.body;
  }
}

/** `GET /compliance.csv`: an alias of `GET /compliance?format=csv`, so a plain link opens it. */
@ApiTags('Compliance')
@Controller()
export class ComplianceCsvController {
  constructor(private readonly compliance: ComplianceService) {}

  @Get('compliance.csv')
  @Roles(...READERS)
  @ApiOperation({
    operationId: 'getComplianceCsv',
    summary: 'The compliance report as CSV (one row per ISP)',
    description: 'An alias of `GET /compliance?format=csv`: the same figures as ' + CSV_DESCRIPTION,
  })
  @ApiProduces('text/csv')
  @ApiOkResponse({
    description: 'The CSV file',
    content: { 'text/csv': { schema: { type: 'string' } } },
  })
  @ApiProblemResponses(400)
  csv(
    @CurrentPrincipal() caller: Principal,
    @Query() query: ComplianceCsvQuery,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    return sendCsv(this.compliance, caller, query, reply);
  }
}
