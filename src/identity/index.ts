/**
 * The public entry of identity: what other contexts and the composition root use.
 * Inside it, files import each other directly, never through this entry. Written by
 * eslint/context-entries.js; checked by boundaries/context-imports.
 */
export { ApiClientEntity } from '#src/identity/api-clients/api-client.entity.js';
export { Roles, RolesOrBasic } from '#src/identity/auth/access.decorators.js';
export { AuthModule } from '#src/identity/auth/auth.module.js';
export { BOOTSTRAP_LOCK } from '#src/identity/auth/bootstrap.service.js';
export { CurrentPrincipal } from '#src/identity/auth/current-principal.decorator.js';
export { bearerToken } from '#src/identity/auth/jwt.strategy.js';
export { OAUTH_ERROR_DIALECT } from '#src/identity/auth/oauth-error.js';
export { PASSWORD_MIN_LENGTH, generatePassword } from '#src/identity/auth/password-policy.js';
export { hashSecret } from '#src/identity/auth/passwords.js';
export { notifyPrincipalChanged } from '#src/identity/auth/principal-cache.js';
export { PrincipalService } from '#src/identity/auth/principal.service.js';
export { COMMAND_LINE, actorType } from '#src/identity/auth/principal.js';
export type { Principal } from '#src/identity/auth/principal.js';
export { RefreshTokenEntity } from '#src/identity/auth/refresh-token.entity.js';
export { ROLES } from '#src/identity/auth/roles.js';
export type { OrganizationKind, Role } from '#src/identity/auth/roles.js';
export { VerifiedTokens } from '#src/identity/auth/verified-tokens.js';
export { PeopleDirectory } from '#src/identity/directory/people-directory.js';
export type { AddressOwner } from '#src/identity/directory/people-directory.js';
export { IdentityConfig } from '#src/identity/identity.config.js';
export { IdentityModule } from '#src/identity/identity.module.js';
export { SigningKeyEntity } from '#src/identity/keys/signing-key.entity.js';
export { AddPersonRequest, OnboardIspRequest } from '#src/identity/onboarding/onboarding.dto.js';
export type { AddedPerson, OnboardedIsp } from '#src/identity/onboarding/onboarding.dto.js';
export { OnboardingService } from '#src/identity/onboarding/onboarding.service.js';
export { ContactsDto } from '#src/identity/organizations/dto/organization.dto.js';
export { OrganizationEntity } from '#src/identity/organizations/organization.entity.js';
export type { OrganizationContacts } from '#src/identity/organizations/organization.entity.js';
export { OrganizationsModule } from '#src/identity/organizations/organizations.module.js';
export { OrganizationsRepository } from '#src/identity/organizations/organizations.repository.js';
export {
  OrganizationsService,
  refusedShortCode,
} from '#src/identity/organizations/organizations.service.js';
export { tenantScope, visibleOr404 } from '#src/identity/tenancy/tenant-scope.js';
export type { TenantScope } from '#src/identity/tenancy/tenant-scope.js';
export { PERSON_ROLES } from '#src/identity/auth/roles.js';
export { UserEntity } from '#src/identity/users/user.entity.js';
