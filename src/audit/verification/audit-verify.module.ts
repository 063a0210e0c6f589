import { Module } from '@nestjs/common';
import { AuditChainRepository } from '#src/audit/verification/audit-chain.repository.js';
import { AuditVerifyController } from '#src/audit/verification/audit-verify.controller.js';
import { AuditVerifyService } from '#src/audit/verification/audit-verify.service.js';

/**
 * The online check of the stored chain (`GET /audit/verify`); the offline check of an export is
 * src/audit/offline-verifier. Reads only: the keys and the sealer come from AuditModule.
 */
@Module({
  controllers: [AuditVerifyController],
  providers: [AuditChainRepository, AuditVerifyService],
})
export class AuditVerifyModule {}
