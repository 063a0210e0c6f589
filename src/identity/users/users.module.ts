import { Module } from '@nestjs/common';
import { PrincipalCacheModule } from '#src/identity/auth/principal-cache.js';
import { OrganizationsModule } from '#src/identity/organizations/organizations.module.js';
import { UsersController } from '#src/identity/users/users.controller.js';
import { UsersRepository } from '#src/identity/users/users.repository.js';
import { UsersService } from '#src/identity/users/users.service.js';

@Module({
  imports: [OrganizationsModule, PrincipalCacheModule],
  controllers: [UsersController],
  providers: [UsersRepository, UsersService],
  exports: [UsersRepository, UsersService],
})
export class UsersModule {}
