import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditVerifyService } from '#src/audit/verification/audit-verify.service.js';
import {
  AuditVerification,
  AuditVerifyQuery,
} from '#src/audit/verification/dto/audit-verify.dto.js';
import { Roles } from '#src/identity/index.js';
import { ApiProblemResponses } from '#src/platform/openapi/index.js';

@ApiTags('Audit')
@Controller('audit')
export class AuditVerifyController {
  constructor(private readonly verifier: AuditVerifyService) {}

  @Get('verify')
  @Roles('auditor', 'admin')
  @ApiOperation({
    operationId: 'verifyAuditTrail',
    summary: 'Verify the audit chain, whole or a range (auditors and Department admins)',
    description:
      "Chains every event committed before the request first, then recomputes each event's digest (SHA-256 of its RFC 8785 canonical JSON) and each link (SHA-256 of the previous hash and the digest), checks every signed checkpoint in the range (its Ed25519 signature and the hash at its size) and, for the whole chain, that the head row and the largest checkpoint agree with its end. Stops at the first break and names it (`firstBreak`). `valid: false` is still a 200: the verification itself succeeded. A range is anchored at the stored hash of the event before it. docs/audit.md#verification.",
  })
  @ApiOkResponse({ type: AuditVerification })
  @ApiProblemResponses(400)
  verify(@Query() query: AuditVerifyQuery): Promise<AuditVerification> {
    return this.verifier.verify(query);
  }
}
