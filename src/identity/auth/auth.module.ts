import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { ApiClientsModule } from '#src/identity/api-clients/api-clients.module.js';
import { AccessGuard } from '#src/identity/auth/access.guard.js';
import { AuthController } from '#src/identity/auth/auth.controller.js';
import { AuthService } from '#src/identity/auth/auth.service.js';
import { BootstrapService } from '#src/identity/auth/bootstrap.service.js';
import { JwtStrategy } from '#src/identity/auth/jwt.strategy.js';
import { PrincipalCacheModule } from '#src/identity/auth/principal-cache.js';
import { PrincipalService } from '#src/identity/auth/principal.service.js';
import { RefreshTokensRepository } from '#src/identity/auth/refresh-tokens.repository.js';
import { TokenService } from '#src/identity/auth/token.service.js';
import { KeysModule } from '#src/identity/keys/keys.module.js';
import { OrganizationsModule } from '#src/identity/organizations/organizations.module.js';
import { UsersModule } from '#src/identity/users/users.module.js';
import { VerifiedTokens } from '#src/identity/auth/verified-tokens.js';
import { FailedAttempts } from '#src/identity/auth/failed-attempts.js';

/**
 * Who calls: tokens (login, refresh, client credentials), their verification (passport-jwt),
 * and the global AccessGuard that closes every route not marked @Public or @Roles.
 * PrincipalService is exported for guards that authenticate otherwise (HTTP Basic, TAXII).
 */
@Module({
  imports: [
    PassportModule,
    KeysModule,
    OrganizationsModule,
    UsersModule,
    ApiClientsModule,
    PrincipalCacheModule,
  ],
  controllers: [AuthController],
  providers: [
    AuthService,
    BootstrapService,
    TokenService,
    PrincipalService,
    JwtStrategy,
    VerifiedTokens,
    FailedAttempts,
    RefreshTokensRepository,
    { provide: APP_GUARD, useClass: AccessGuard },
  ],
  exports: [PrincipalService, VerifiedTokens],
})
export class AuthModule {}
