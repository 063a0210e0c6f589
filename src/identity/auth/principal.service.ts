import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ApiClientsRepository } from '#src/identity/api-clients/api-clients.repository.js';
import { parseBasic } from '#src/identity/auth/basic-auth.js';
import { verifySecret } from '#src/identity/auth/passwords.js';
import { PrincipalCache } from '#src/identity/auth/principal-cache.js';
import { RefreshTokensRepository } from '#src/identity/auth/refresh-tokens.repository.js';
import type { Principal } from '#src/identity/auth/principal.js';
import {
  isRole,
  ORGANIZATION_KINDS,
  type OrganizationKind,
  type Role,
} from '#src/identity/auth/roles.js';
import { OrganizationsRepository } from '#src/identity/organizations/organizations.repository.js';
import { UsersRepository } from '#src/identity/users/users.repository.js';

/** Why a signature-valid token (or a Basic credential) is still refused (a 401 detail). */
export class TokenRefused extends Error {}

/** The 401 details of revoked access tokens (docs/auth.md, "How revocation reaches tokens"). */
export const REVOKED = {
  user: "Token revoked: the user's password was changed, or the account disabled, after it was issued; log in again",
  client:
    "Token revoked: the API client's secret was rotated after it was issued; get a new token with the new secret",
  session:
    'Token revoked: its session has ended (logout, or a refresh token presented twice); log in again',
} as const;

/** A session id (`sid`) is a refresh-token family id: a uuid column. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The `tokenId` of a principal authenticated with HTTP Basic (there is no token). */
export const BASIC_TOKEN_ID = 'basic';

/**
 * Turns verified claims into the caller: the claims must name known roles and an organization,
 * and the user must still be enabled (or the client not revoked), the token not revoked: its
 * `gen` not below the caller's token generation, and a person's session (`sid`) not ended. A
 * person whose password must be changed is marked `passwordChangeRequired` (the AccessGuard then
 * allows only the change). That
 * state comes from the PrincipalCache, which reads the database only when it cannot vouch for
 * what it holds.
 */
@Injectable()
export class PrincipalService {
  constructor(
    private readonly users: UsersRepository,
    private readonly clients: ApiClientsRepository,
    private readonly organizations: OrganizationsRepository,
    private readonly cache: PrincipalCache,
    private readonly refreshTokens: RefreshTokensRepository,
  ) {}

  async fromClaims(claims: Record<string, unknown>): Promise<Principal> {
    const { sub, org, org_kind: orgKind, roles, sub_type: subType, jti, sid } = claims;
    // Tokens issued before generations existed carry none: generation 0, the column's default.
    const gen = claims.gen === undefined ? 0 : claims.gen;
    if (!Array.isArray(roles) || roles.length === 0 || !roles.every(isRole)) {
      throw new TokenRefused('The access token carries no valid roles');
    }
    if (
      typeof sub !== 'string' ||
      typeof org !== 'string' ||
      typeof jti !== 'string' ||
      !(ORGANIZATION_KINDS as readonly unknown[]).includes(orgKind) ||
      (subType !== 'user' && subType !== 'client') ||
      typeof gen !== 'number' ||
      !Number.isSafeInteger(gen) ||
      (sid !== undefined && (typeof sid !== 'string' || !UUID.test(sid) || subType !== 'user'))
    ) {
      throw new TokenRefused('The access token lacks required claims');
    }
    let granted: Role[] = roles;
    let passwordChangeRequired = false;
    if (subType === 'user') {
      const user = await this.userState(sub);
      if (!user || user.organizationId !== org) throw new TokenRefused('The user no longer exists');
      if (user.disabled) throw new TokenRefused('The user is disabled');
      if (gen < user.generation) throw new TokenRefused(REVOKED.user);
      // Tokens issued before sessions were named carry no sid: they end with their lifetime.
      if (sid !== undefined && (await this.sessionState(sid))?.ended !== false) {
        throw new TokenRefused(REVOKED.session);
      }
      // A role taken away takes effect at once; a role given needs a new token.
      granted = roles.filter((r) => user.roles.includes(r));
      if (granted.length === 0) throw new TokenRefused('The user no longer holds these roles');
      passwordChangeRequired = user.mustChangePassword;
    } else {
      const client = await this.clientState(sub);
      if (!client || client.organizationId !== org) {
        throw new TokenRefused('The API client no longer exists');
      }
      if (client.revoked) throw new TokenRefused('The API client is revoked');
      if (gen < client.generation) throw new TokenRefused(REVOKED.client);
    }
    return {
      kind: subType,
      id: sub,
      organizationId: org,
      organizationKind: orgKind as OrganizationKind,
      roles: granted,
      tokenId: jti,
      ...(passwordChangeRequired ? { passwordChangeRequired: true } : {}),
    };
  }

  /**
   * An ISP API client authenticated by its client id and secret (HTTP Basic, for the TAXII
   * server): the same principal as its client-credentials access token would give, with
   * `tokenId` BASIC_TOKEN_ID. A verified pair is cached under a SHA-256 of both (never the
   * secret), until the client's secret is rotated or the client revoked; failures are not.
   */
  async fromClientCredentials(clientId: string, secret: string): Promise<Principal> {
    const key = `basic:${createHash('sha256').update(`${clientId}\0${secret}`).digest('base64url')}`;
    const verified = await this.cache.lookup(key, 'basic', async () => {
      const client = await this.clients.findByClientId(clientId);
      // Always the argon2 work, so that timing does not tell whether the client exists.
      const secretOk = await verifySecret(client?.secretHash, secret);
      if (!client || !secretOk) {
        throw new TokenRefused('The client id and secret do not match an API client');
      }
      if (client.revokedAt) throw new TokenRefused('The API client is revoked');
      const organization = await this.organizations.findById(client.organizationId);
      if (!organization || organization.kind !== 'isp') {
        throw new TokenRefused('The API client does not belong to an ISP');
      }
      return {
        tag: `client:${client.id}`,
        value: {
          kind: 'basic',
          id: client.id,
          organizationId: organization.id,
          organizationKind: organization.kind,
        },
      };
    });
    if (!verified) throw new TokenRefused('The client id and secret do not match an API client');
    return {
      kind: 'client',
      id: verified.id,
      organizationId: verified.organizationId,
      organizationKind: verified.organizationKind,
      roles: ['isp_client'],
      tokenId: BASIC_TOKEN_ID,
    };
  }

  /**
   * `Authorization: Basic base64(clientId:secret)` (RFC 7617) → the API client's principal.
   * For guards of routes that ISP tools call with Basic credentials (TAXII); throws
   * TokenRefused, whose message is the 401 detail.
   */
  async authenticateBasic(authorization: string | undefined): Promise<Principal> {
    const credentials = parseBasic(authorization, 'plain');
    if (credentials === undefined) {
      throw new TokenRefused(
        'HTTP Basic authentication with an API client id and secret is required',
      );
    }
    if (credentials === null || !credentials.id || !credentials.secret) {
      throw new TokenRefused('The Basic authorization header is malformed');
    }
    return this.fromClientCredentials(credentials.id, credentials.secret);
  }

  private userState(id: string) {
    return this.cache.lookup(`user:${id}`, 'user', async () => {
      const user = await this.users.findById(id);
      if (!user) return undefined;
      return {
        tag: `user:${id}`,
        value: {
          kind: 'user',
          organizationId: user.organizationId,
          disabled: user.disabled,
          roles: [...user.roles],
          generation: user.tokenGeneration,
          mustChangePassword: user.mustChangePassword,
        },
      };
    });
  }

  private clientState(id: string) {
    return this.cache.lookup(`client:${id}`, 'client', async () => {
      const client = await this.clients.findById(id);
      if (!client) return undefined;
      return {
        tag: `client:${id}`,
        value: {
          kind: 'client',
          organizationId: client.organizationId,
          revoked: client.revokedAt !== null,
          generation: client.tokenGeneration,
        },
      };
    });
  }

  /** Whether a person's session (refresh-token family) has ended; undefined: no such session. */
  private sessionState(id: string) {
    return this.cache.lookup(`session:${id}`, 'session', async () => {
      const ended = await this.refreshTokens.familyEnded(id);
      if (ended === undefined) return undefined;
      return { tag: `session:${id}`, value: { kind: 'session', ended } };
    });
  }
}
