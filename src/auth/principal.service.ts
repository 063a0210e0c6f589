import { Injectable } from '@nestjs/common';
import { ApiClientsRepository } from '#src/api-clients/api-clients.repository.js';
import type { Principal } from '#src/auth/principal.js';
import { isRole, ORGANIZATION_KINDS, type OrganizationKind, type Role } from '#src/auth/roles.js';
import { UsersRepository } from '#src/users/users.repository.js';

/** Why a signature-valid token is still refused (a 401 detail). */
export class TokenRefused extends Error {}

/**
 * Turns verified claims into the caller: the claims must name known roles and an organization,
 * and the user must still be enabled (or the client not revoked).
 */
@Injectable()
export class PrincipalService {
  constructor(
    private readonly users: UsersRepository,
    private readonly clients: ApiClientsRepository,
  ) {}

  async fromClaims(claims: Record<string, unknown>): Promise<Principal> {
    const { sub, org, org_kind: orgKind, roles, sub_type: subType, jti } = claims;
    if (!Array.isArray(roles) || roles.length === 0 || !roles.every(isRole)) {
      throw new TokenRefused('The access token carries no valid roles');
    }
    if (
      typeof sub !== 'string' ||
      typeof org !== 'string' ||
      typeof jti !== 'string' ||
      !(ORGANIZATION_KINDS as readonly unknown[]).includes(orgKind) ||
      (subType !== 'user' && subType !== 'client')
    ) {
      throw new TokenRefused('The access token lacks required claims');
    }
    let granted: Role[] = roles;
    if (subType === 'user') {
      const user = await this.users.findById(sub);
      if (!user || user.organizationId !== org) throw new TokenRefused('The user no longer exists');
      if (user.disabled) throw new TokenRefused('The user is disabled');
      // A role taken away takes effect at once; a role given needs a new token.
      granted = roles.filter((r) => user.roles.includes(r));
      if (granted.length === 0) throw new TokenRefused('The user no longer holds these roles');
    } else {
      const client = await this.clients.findById(sub);
      if (!client || client.organizationId !== org) {
        throw new TokenRefused('The API client no longer exists');
      }
      if (client.revokedAt) throw new TokenRefused('The API client is revoked');
    }
    return {
      kind: subType,
      id: sub,
      organizationId: org,
      organizationKind: orgKind as OrganizationKind,
      roles: granted,
      tokenId: jti,
    };
  }
}
