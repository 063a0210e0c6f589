import { Module } from '@nestjs/common';
import { ApiClientsController } from '#src/api-clients/api-clients.controller.js';
import { ApiClientsRepository } from '#src/api-clients/api-clients.repository.js';
import { ApiClientsService } from '#src/api-clients/api-clients.service.js';
import { PrincipalCacheModule } from '#src/auth/principal-cache.js';
import { OrganizationsModule } from '#src/organizations/organizations.module.js';

@Module({
  imports: [OrganizationsModule, PrincipalCacheModule],
  controllers: [ApiClientsController],
  providers: [ApiClientsRepository, ApiClientsService],
  exports: [ApiClientsRepository],
})
export class ApiClientsModule {}
