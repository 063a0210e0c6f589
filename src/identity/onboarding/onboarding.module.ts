import { Module } from '@nestjs/common';
import { ApiClientsModule } from '#src/identity/api-clients/api-clients.module.js';
import { OnboardingService } from '#src/identity/onboarding/onboarding.service.js';
import { OrganizationsModule } from '#src/identity/organizations/organizations.module.js';
import { UsersModule } from '#src/identity/users/users.module.js';

/** Onboarding for the command line: an ISP in one step, a person by organization short code. */
@Module({
  imports: [OrganizationsModule, UsersModule, ApiClientsModule],
  providers: [OnboardingService],
  exports: [OnboardingService],
})
export class OnboardingModule {}
