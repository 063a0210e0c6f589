import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditSearchService } from '#src/audit/search/audit-search.service.js';
import { AuditEventPage, AuditSearchQuery } from '#src/audit/search/dto/audit-search.dto.js';
import { Roles } from '#src/identity/index.js';
import { ApiProblemResponses } from '#src/platform/openapi/index.js';

@ApiTags('Audit')
@Controller('audit')
export class AuditSearchController {
  constructor(private readonly audit: AuditSearchService) {}

  @Get('events')
  @Roles('auditor', 'admin')
  @ApiOperation({
    operationId: 'searchAuditEvents',
    summary: 'Search the audit trail (auditors and Department admins)',
    description:
      'Newest first (by time, then event number), by pages: pass `nextCursor` as `cursor`. `from` (inclusive) and `to` (exclusive) apply to the event time. `action` is exact, or a prefix when it ends with a dot (`blocking_request.`). `objectId` requires `objectType`. Filters combine with AND.',
  })
  @ApiOkResponse({ type: AuditEventPage })
  @ApiProblemResponses(400)
  search(@Query() query: AuditSearchQuery): Promise<AuditEventPage> {
    return this.audit.search(query);
  }
}
