import { Module } from '@nestjs/common';
import { OrganizationsController } from '#src/identity/organizations/organizations.controller.js';
import { OrganizationsRepository } from '#src/identity/organizations/organizations.repository.js';
import { OrganizationsService } from '#src/identity/organizations/organizations.service.js';

@Module({
  controllers: [OrganizationsController],
  providers: [OrganizationsRepository, OrganizationsService],
  exports: [OrganizationsRepository, OrganizationsService],
})
export class OrganizationsModule {}
