import { Module } from '@nestjs/common';
import { PrincipalCacheModule } from '#src/auth/principal-cache.js';
import { OrganizationsModule } from '#src/organizations/organizations.module.js';
import { UsersController } from '#src/users/users.controller.js';
import { UsersRepository } from '#src/users/users.repository.js';
import { UsersService } from '#src/users/users.service.js';

@Module({
  imports: [OrganizationsModule, PrincipalCacheModule],
  controllers: [UsersController],
  providers: [UsersRepository, UsersService],
  exports: [UsersRepository],
})
export class UsersModule {}
