import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBasicAuth, ApiBearerAuth, ApiSecurity } from '@nestjs/swagger';
import type { Role } from '#src/identity/auth/roles.js';
import { ACCESS_METADATA, type PublicAccess } from '#src/platform/http/index.js';
import { ApiProblemResponses } from '#src/platform/openapi/index.js';

/** What a route allows: anybody (@Public, platform/http), or callers holding one of the roles. */
export type AccessRule = PublicAccess | { roles: Role[]; basic?: true };

/**
 * Declares who may call a route: callers with at least one of `roles` (a valid bearer token
 * is required). Every route carries @Roles or @Public (src/platform/http/access.ts); the global guard refuses the others.
 */
export function Roles(...roles: Role[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ACCESS_METADATA, { roles } satisfies AccessRule),
    ApiBearerAuth('bearer'),
    ApiSecurity('oauth2', []),
    ApiProblemResponses(401, 403),
  );
}

/**
 * Like @Roles, and HTTP Basic with an API client's id and secret is accepted besides bearer
 * tokens (TAXII 2.1 requires Basic of its servers).
 */
export function RolesOrBasic(...roles: Role[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ACCESS_METADATA, { roles, basic: true } satisfies AccessRule),
    ApiBearerAuth('bearer'),
    ApiBasicAuth('basic'),
  );
}
