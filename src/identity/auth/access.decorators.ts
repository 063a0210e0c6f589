import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBasicAuth, ApiBearerAuth, ApiSecurity } from '@nestjs/swagger';
import { PERSON_ROLES, type Role } from '#src/identity/auth/roles.js';
import { ACCESS_METADATA, type PublicAccess } from '#src/platform/http/index.js';
import { ApiProblemResponses } from '#src/platform/openapi/index.js';

/**
 * What a route allows: anybody (@Public, platform/http), or callers holding one of the roles;
 * `duringPasswordChange`: also a person who must change their password first (@PasswordChange).
 */
export type AccessRule =
  PublicAccess | { roles: Role[]; basic?: true; duringPasswordChange?: true };

/**
 * Declares who may call a route: callers with at least one of `roles` (a valid bearer token
 * is required). Every route carries @Roles or @Public (src/platform/http/access.ts); the global guard refuses the others.
 */
export function Roles(...roles: Role[]): MethodDecorator & ClassDecorator {
  return bearerRoute({ roles });
}

/**
 * Any person (every role a user may hold), also one whose password must be changed first:
 * the routes that complete that change. Every other route refuses such a person with 403
 * `password-change-required` (AccessGuard).
 */
export function PasswordChange(): MethodDecorator & ClassDecorator {
  return bearerRoute({ roles: [...PERSON_ROLES], duringPasswordChange: true });
}

function bearerRoute(rule: AccessRule): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ACCESS_METADATA, rule),
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
