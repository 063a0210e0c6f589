import { Controller, Get, Header, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CheckpointReader } from '#src/audit/checkpoints/checkpoint-reader.js';
import {
  AuditPublicKeyQuery,
  AuditPublicKeysResponse,
  CheckpointPage,
  CheckpointResponse,
} from '#src/audit/checkpoints/dto/audit-checkpoints.dto.js';
import { Roles, ROLES } from '#src/identity/index.js';
import { Public } from '#src/platform/http/index.js';
import { PageQuery } from '#src/platform/pagination/index.js';
import { ApiProblemResponses } from '#src/platform/openapi/index.js';

@ApiTags('Audit')
@Controller('audit')
export class AuditCheckpointsController {
  constructor(private readonly reader: CheckpointReader) {}

  @Get('public-key')
  @Public()
  @Header('cache-control', 'public, max-age=300')
  @ApiOperation({
    operationId: 'getAuditPublicKeys',
    summary: 'The Ed25519 keys that verify audit checkpoints and export manifests (public)',
    description:
      'No token needed, like /.well-known/jwks.json: whoever holds a checkpoint (an `X-Audit-Checkpoint` header, an export) can check it. The signing key comes first; retired keys stay listed so that what they signed keeps verifying. Pick the key by the checkpoint’s `keyId`, or ask for it alone with `?keyId=`.',
  })
  @ApiOkResponse({ type: AuditPublicKeysResponse })
  @ApiProblemResponses(400, 404)
  publicKeys(@Query() query: AuditPublicKeyQuery): Promise<AuditPublicKeysResponse> {
    return this.reader.publicKeys(query.keyId);
  }

  @Get('checkpoints')
  @Roles('auditor', 'admin', 'isp_operator', 'isp_client')
  @ApiOperation({
    operationId: 'listAuditCheckpoints',
    summary: 'Signed checkpoints of the audit trail, newest first',
    description:
      'Auditors and admins; ISPs too, to compare the `X-Audit-Checkpoint` values they kept with what the Department shows. By pages: pass `nextCursor` as `cursor`.',
  })
  @ApiOkResponse({ type: CheckpointPage })
  @ApiProblemResponses(400)
  list(@Query() query: PageQuery): Promise<CheckpointPage> {
    return this.reader.list(query);
  }

  @Get('checkpoints/latest')
  @Roles(...ROLES)
  @ApiOperation({
    operationId: 'getLatestAuditCheckpoint',
    summary: 'The newest signed checkpoint (makes none)',
    description: 'The first item of the list; 404 while no checkpoint has been made.',
  })
  @ApiOkResponse({ type: CheckpointResponse })
  @ApiProblemResponses(404)
  latest(): Promise<CheckpointResponse> {
    return this.reader.latest();
  }
}
