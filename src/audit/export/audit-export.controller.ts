import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AuditExportService } from '#src/audit/export/audit-export.service.js';
import { AuditExportQuery } from '#src/audit/export/dto/audit-export.dto.js';
import { Roles, CurrentPrincipal, type Principal } from '#src/identity/index.js';
import { ApiProblemResponses } from '#src/platform/openapi/index.js';

const DESCRIPTION =
  'A ZIP, streamed: `events.jsonl` (the selected events, one canonical JSON object per line with its `seq` and chain `hash`), `events.csv` (the same events; column titles in Vietnamese or English; `bom=true` for Excel), `chain.csv` (`seq,digest,hash` of every event from the first selected one to the checkpoint: events outside the filters appear only as digests, so that a filtered export is verified end to end), `manifest.json` (the files’ SHA-256 and sizes, the filters, the range, a checkpoint signed for this export, the key id), `manifest.sig` (Ed25519 over the manifest’s JCS) and `public-key.pem` (for convenience: verify with the key obtained from the Department). Check it offline with `npx --no-install threat-exchange audit-verify <file.zip> --public-key <key.pem>` (docs/audit.md#verifying-an-export).\n\nFilters combine with AND; at least one is required, or `all=true` for the whole trail. The export is recorded as an `audit.export` event and makes a checkpoint (reason `export`).';

@ApiTags('Audit')
@Controller('audit')
export class AuditExportController {
  constructor(private readonly exports: AuditExportService) {}

  @Get('exports')
  @Roles('auditor', 'admin')
  @ApiOperation({
    operationId: 'exportAuditTrail',
    summary: 'Export the audit trail, verifiable offline (auditors and Department admins)',
    description: DESCRIPTION,
  })
  @ApiProduces('application/zip')
  @ApiOkResponse({
    description:
      'The export (`Content-Disposition: attachment; filename="audit-export-<from>-<to>.zip"`)',
    content: { 'application/zip': { schema: { type: 'string', format: 'binary' } } },
    headers: {
      'X-Audit-Export-Id': {
        description: 'The export’s id (manifest `id`, the `objectId` of its `audit.export` event)',
        schema: { type: 'string', format: 'uuid' },
      },
    },
  })
  @ApiProblemResponses(400, 404)
  async export(
    @CurrentPrincipal() caller: Principal,
    @Query() query: AuditExportQuery,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const file = await this.exports.export(caller, query);
    await reply
      .header('content-type', 'application/zip')
      .header('content-disposition', `attachment; filename="${file.filename}"`)
      .header('cache-control', 'private, no-store')
      .header('x-audit-export-id', file.id)
      .send(file.body);
  }
}
