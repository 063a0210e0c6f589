import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBasicAuth, ApiBearerAuth, ApiSecurity } from '@nestjs/swagger';
import type { Role } from '#src/identity/auth/roles.js';
import { ApiProblemResponses, ApiPublic } from '#src/platform/openapi/problem.schema.js';

export const ACCESS_METADATA = 'access';

/** What a route allows: anybody, or callers holding one of the roles. */
export type AccessRule = { public: true } | { roles: Role[]; basic?: true };

/**
 * Declares who may call a route: callers with at least one of `roles` (a valid bearer token
 * is required). Every route carries @Roles or @Public; the global guard refuses the others.
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

/** Declares a route open to anonymous callers. */
export function Public(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ACCESS_METADATA, { public: true } satisfies AccessRule),
    ApiPublic(),
  );
}
