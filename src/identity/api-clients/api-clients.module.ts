import { Module } from '@nestjs/common';
import { ApiClientsController } from '#src/identity/api-clients/api-clients.controller.js';
import { ApiClientsRepository } from '#src/identity/api-clients/api-clients.repository.js';
import { ApiClientsService } from '#src/identity/api-clients/api-clients.service.js';
import { PrincipalCacheModule } from '#src/identity/auth/principal-cache.js';
import { OrganizationsModule } from '#src/identity/organizations/organizations.module.js';

@Module({
  imports: [OrganizationsModule, PrincipalCacheModule],
  controllers: [ApiClientsController],
  providers: [ApiClientsRepository, ApiClientsService],
  exports: [ApiClientsRepository, ApiClientsService],
})
export class ApiClientsModule {}
