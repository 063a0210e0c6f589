import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Roles } from '#src/auth/access.decorators.js';
import { ComplianceService } from '#src/compliance/compliance.service.js';
import {
  ComplianceCsvQuery,
  ComplianceQuery,
  ComplianceReport,
} from '#src/compliance/dto/compliance.dto.js';
import { ApiProblemResponses } from '#src/openapi/problem.schema.js';

const READERS = ['admin', 'analyst', 'approver', 'auditor'] as const;
const DESCRIPTION =
  'Per ISP (every ISP organization, zeros when it had nothing), over the assignments of the requests **published** in [from, to): counts by status, overdue (open and past the deadline at the time of the answer), on-time percentage, median and p90 time to apply, median time to acknowledge, rejections with their reasons, and where its feed stands (last pull, the highest version it was given, its newest change, how many changes it lacks). Definitions: docs/department.md#compliance-report.';

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
  @ApiOkResponse({ type: ComplianceReport })
  @ApiProblemResponses(400)
  report(@Query() query: ComplianceQuery): Promise<ComplianceReport> {
    return this.compliance.report(query);
  }
}

/** `GET /compliance.csv`: a sibling path rather than content negotiation, so a link opens it. */
@ApiTags('Compliance')
@Controller()
export class ComplianceCsvController {
  constructor(private readonly compliance: ComplianceService) {}

  @Get('compliance.csv')
  @Roles(...READERS)
  @ApiOperation({
    operationId: 'getComplianceCsv',
    summary: 'The compliance report as CSV (one row per ISP)',
    description:
      'The same figures as `GET /compliance`, as RFC 4180 CSV (UTF-8, CRLF, a header row; `bom=true` prepends a byte order mark for Excel). `rejections` is their count and `rejection_reasons` joins `documentNumber: reason` with ` | `. Empty cells are nulls. Text that a spreadsheet would run as a formula is prefixed with an apostrophe.',
  })
  @ApiProduces('text/csv')
  @ApiOkResponse({
    description: 'The CSV file',
    content: { 'text/csv': { schema: { type: 'string' } } },
  })
  @ApiProblemResponses(400)
  async csv(
    @Query() query: ComplianceCsvQuery,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const { bom, ...window } = query;
    const file = await this.compliance.csv(window, bom === 'true');
    void reply
      .header('content-type', 'text/csv; charset=utf-8; header=present')
      .header('content-disposition', `attachment; filename="${file.filename}"`)
      .header('cache-control', 'private, no-store');
    return file.body;
  }
}
