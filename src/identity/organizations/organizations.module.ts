import { Module } from '@nestjs/common';
import { OrganizationsController } from '#src/organizations/organizations.controller.js';
import { OrganizationsRepository } from '#src/organizations/organizations.repository.js';
import { OrganizationsService } from '#src/organizations/organizations.service.js';

@Module({
  controllers: [OrganizationsController],
  providers: [OrganizationsRepository, OrganizationsService],
  exports: [OrganizationsRepository],
})
export class OrganizationsModule {}
