import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  conflict,
  forbidden,
  ProblemType,
  unauthorized,
  validationProblem,
} from '#src/platform/problem/index.js';
import { DataSource, type EntityManager } from 'typeorm';
import { ApiClientsRepository } from '#src/identity/api-clients/api-clients.repository.js';
import { PrincipalCache, type PrincipalKey } from '#src/identity/auth/principal-cache.js';
import { AuditLog } from '#src/platform/audit-log/index.js';
import { parseBasic } from '#src/identity/auth/basic-auth.js';
import type {
  ChangePasswordRequest,
  ClientCredentialsRequest,
  LoginRequest,
  TokenResponse,
} from '#src/identity/auth/auth.dto.js';
import { OAuthError } from '#src/identity/auth/oauth-error.js';
import { hashSecret, verifySecret } from '#src/identity/auth/passwords.js';
import type { Principal } from '#src/identity/auth/principal.js';
import { RefreshTokensRepository } from '#src/identity/auth/refresh-tokens.repository.js';
import {
  hashRefreshToken,
  LOGIN_CLIENT_ID,
  TokenService,
} from '#src/identity/auth/token.service.js';
import { IdentityConfig } from '#src/identity/identity.config.js';
import type { OrganizationEntity } from '#src/identity/organizations/organization.entity.js';
import { OrganizationsRepository } from '#src/identity/organizations/organizations.repository.js';
import type { UserEntity } from '#src/identity/users/user.entity.js';
import { UsersRepository } from '#src/identity/users/users.repository.js';
import { Clock } from '#src/platform/clock/index.js';

/** Progressive lockout: from the 5th consecutive failure, 1 min, doubling, at most 1 h. */
export const LOCKOUT = { lockAfter: 5, baseLockMs: 60_000, maxLockMs: 3_600_000 } as const;

/** The one answer to every failed login: it does not tell which part was wrong. */
const LOGIN_FAILED =
  'The e-mail and password do not match an enabled account, or it is locked for a while';

/** The one answer to a refused password change (403): like a login's, it does not say which. */
export const CURRENT_PASSWORD_REJECTED =
  'The current password is wrong, or the account is locked for a while after repeated failures';

@Injectable()
export class AuthService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UsersRepository,
    private readonly organizations: OrganizationsRepository,
    private readonly clients: ApiClientsRepository,
    private readonly refreshTokens: RefreshTokensRepository,
    private readonly tokens: TokenService,
    private readonly audit: AuditLog,
    @Inject(IdentityConfig) private readonly config: IdentityConfig,
    private readonly clock: Clock,
    private readonly cache: PrincipalCache,
  ) {}

  /**
   * Password login → access + refresh token. An unknown e-mail, a wrong password, a disabled
   * or a locked account all get the same 401 after the same argon2 work. A refusal for an
   * existing account is recorded (`auth.login_failed`, and `auth.lockout` when it locks the
   * account) in the transaction that counts it; an unknown e-mail changes nothing and is not.
   */
  async login(request: LoginRequest): Promise<TokenResponse> {
    const user = await this.users.findByEmail(request.email);
    const passwordOk = await verifySecret(user?.passwordHash, request.password);
    if (!user) throw unauthorized(LOGIN_FAILED);
    const locked = user.lockedUntil !== null && user.lockedUntil > this.clock.now();
    if (!passwordOk || locked || user.disabled) {
      await this.loginFailed(
        user,
        !passwordOk ? 'password' : user.disabled ? 'disabled' : 'locked',
      );
      throw unauthorized(LOGIN_FAILED);
    }
    const organization = await this.organizations.findById(user.organizationId);
    if (!organization) throw unauthorized(LOGIN_FAILED);
    const session = randomUUID();
    return this.dataSource.transaction(async (manager) => {
      await this.users.recordSuccessfulLogin(manager, user.id);
      const issued = await this.issueForUser(manager, user, organization, session);
      await this.audit.record(manager, {
        actor: userPrincipal(user, organization, issued.jti),
        action: 'auth.login',
        objectType: 'user',
        objectId: user.id,
        summary: {
          session,
          tokenId: issued.jti,
          ...(user.mustChangePassword ? { passwordChangeRequired: true } : {}),
        },
      });
      return issued.response;
    });
  }

  /**
   * Spends a refresh token and issues the next pair of the same family. A spent, revoked or
   * unknown token is refused; a spent one revokes its whole family (reuse = theft), and with
   * it the access tokens of that session (their `sid`), in every instance before the answer.
   */
  async refresh(refreshToken: string): Promise<TokenResponse> {
    const outcome = await this.cache.propagateEach((announce) =>
      this.dataSource.transaction(
        async (manager): Promise<{ refused: string } | { response: TokenResponse }> => {
          const token = await this.refreshTokens.findByHashForUpdate(
            manager,
            hashRefreshToken(refreshToken),
          );
          if (!token) return { refused: 'The refresh token is not valid' };
          if (token.spentAt) {
            await this.endSession(
              manager,
              announce,
              token.userId,
              token.familyId,
              'refresh_token_reused',
            );
            return {
              refused: 'The refresh token was already used: every token of its session is revoked',
            };
          }
          if (token.revokedAt) return { refused: 'The refresh token was revoked' };
          if (token.expiresAt <= this.clock.now())
            return { refused: 'The refresh token has expired' };
          await this.refreshTokens.markSpent(manager, token.id, this.clock.now());
          const user = await this.users.findById(token.userId, manager);
          const organization =
            user && (await this.organizations.findById(user.organizationId, manager));
          if (!user || !organization || user.disabled) {
            await this.endSession(manager, announce, token.userId, token.familyId, 'user_disabled');
            return { refused: 'The user is disabled' };
          }
          const issued = await this.issueForUser(manager, user, organization, token.familyId);
          await this.audit.record(manager, {
            actor: userPrincipal(user, organization, issued.jti),
            action: 'auth.refresh',
            objectType: 'user',
            objectId: user.id,
            summary: { session: token.familyId, tokenId: issued.jti },
          });
          return { response: issued.response };
        },
      ),
    );
    // A family revocation above is committed before the refusal is answered.
    if ('refused' in outcome) throw unauthorized(outcome.refused);
    return outcome.response;
  }

  /**
   * Ends the session of this refresh token (its whole family) and the access tokens of that
   * session (their `sid`), in every instance before the answer. Unknown tokens are ignored.
   */
  async logout(refreshToken: string): Promise<void> {
    await this.cache.propagateEach((announce) =>
      this.dataSource.transaction(async (manager) => {
        const token = await this.refreshTokens.findByHashForUpdate(
          manager,
          hashRefreshToken(refreshToken),
        );
        if (!token) return;
        const release = announce(`session:${token.familyId}`);
        const revoked = await this.refreshTokens.revokeFamily(manager, token.familyId);
        // A session that had ended already changes nothing: nothing to record.
        if (revoked === 0) return release();
        // Whoever holds the refresh token speaks for its user.
        const user = await this.users.findById(token.userId, manager);
        const organization =
          user && (await this.organizations.findById(user.organizationId, manager));
        await this.audit.record(manager, {
          actor: user && organization ? userPrincipal(user, organization, '') : 'system',
          action: 'auth.logout',
          objectType: 'user',
          objectId: token.userId,
          summary: { session: token.familyId, revoked },
        });
      }),
    );
  }

  /**
   * A signed-in person changes their own password. The current password is checked like a
   * login's (a wrong one counts towards the same lockout; a locked account is refused even with
   * the right one), the new one follows the policy and must differ. Then, in one transaction:
   * the new hash, a required change cleared, the token generation incremented (every access
   * token of the person, this one included, stops), every refresh token revoked, and a new
   * session opened whose tokens are the answer; every instance knows before the answer.
   */
  async changePassword(caller: Principal, request: ChangePasswordRequest): Promise<TokenResponse> {
    const user = await this.users.findById(caller.id);
    if (!user) throw unauthorized('The user no longer exists');
    const passwordOk = await verifySecret(user.passwordHash, request.currentPassword);
    const locked = user.lockedUntil !== null && user.lockedUntil > this.clock.now();
    if (!passwordOk || locked) {
      await this.loginFailed(user, passwordOk ? 'locked' : 'password', caller);
      throw forbidden(CURRENT_PASSWORD_REJECTED, {
        type: ProblemType.currentPasswordRejected,
        title: 'The current password was not accepted',
      });
    }
    if (request.newPassword === request.currentPassword) {
      throw validationProblem([
        { name: 'newPassword', reason: 'newPassword must differ from the current password' },
      ]);
    }
    const passwordHash = await hashSecret(request.newPassword);
    const session = randomUUID();
    return this.cache.propagateEach((announce) =>
      this.dataSource.transaction(async (manager) => {
        announce(`user:${user.id}`);
        const before = await this.users.findByIdForUpdate(manager, user.id);
        // Changed meanwhile (an administrator's reset, another change): what was checked is stale.
        if (!before || before.passwordHash !== user.passwordHash) {
          throw conflict('The password was changed meanwhile: sign in again', {
            title: 'The record has changed',
          });
        }
        await this.users.updateIfVersion(manager, user.id, before.version, {
          passwordHash,
          mustChangePassword: false,
          clearLockout: true,
          revokeTokens: true,
        });
        // Refresh tokens here; access tokens by the token generation (revokeTokens above).
        const sessionsEnded = await this.users.endSessions(manager, user.id);
        const after = await this.users.findById(user.id, manager);
        const organization =
          after && (await this.organizations.findById(after.organizationId, manager));
        if (!after || !organization) throw unauthorized('The user no longer exists');
        const issued = await this.issueForUser(manager, after, organization, session);
        await this.audit.record(manager, {
          actor: caller,
          action: 'auth.password_change',
          objectType: 'user',
          objectId: user.id,
          summary: {
            passwordChanged: true,
            wasRequired: before.mustChangePassword,
            sessionsEnded,
            session,
            tokenId: issued.jti,
          },
        });
        return issued.response;
      }),
    );
  }

  /**
   * The OAuth 2.0 client-credentials grant (RFC 6749 §4.4) for ISP API clients, with
   * client_secret_basic or client_secret_post (not both). Errors in the §5.2 shape.
   */
  async clientCredentials(
    form: Partial<ClientCredentialsRequest> | null | undefined,
    authorization: string | undefined,
    contentType: string | undefined,
  ): Promise<TokenResponse> {
    if (!/^application\/x-www-form-urlencoded\b/i.test(contentType ?? '')) {
      throw new OAuthError(
        'invalid_request',
        'The token request must be form-encoded (application/x-www-form-urlencoded)',
      );
    }
    const body: Partial<ClientCredentialsRequest> =
      form && typeof form === 'object' && !Array.isArray(form) ? form : {};
    const basic = parseBasic(authorization);
    if (basic === null)
      throw new OAuthError('invalid_client', 'Malformed Basic authorization', 401, true);
    if (body.grant_type === undefined)
      throw new OAuthError('invalid_request', 'grant_type is required');
    if (body.grant_type !== 'client_credentials') {
      throw new OAuthError(
        'unsupported_grant_type',
        'Only grant_type=client_credentials is supported',
      );
    }
    if (basic && (body.client_id !== undefined || body.client_secret !== undefined)) {
      throw new OAuthError('invalid_request', 'Use one client authentication method, not both');
    }
    const clientId = basic?.id ?? body.client_id;
    const secret = basic?.secret ?? body.client_secret;
    if (typeof clientId !== 'string' || typeof secret !== 'string' || !clientId || !secret) {
      throw new OAuthError('invalid_client', 'Client authentication is required', 401, true);
    }
    const client = await this.clients.findByClientId(clientId);
    const secretOk = await verifySecret(client?.secretHash, secret);
    if (!client || !secretOk || client.revokedAt) {
      throw new OAuthError('invalid_client', 'Client authentication failed', 401, Boolean(basic));
    }
    const organization = await this.organizations.findById(client.organizationId);
    if (!organization || organization.kind !== 'isp') {
      throw new OAuthError('unauthorized_client', 'The client does not belong to an ISP');
    }
    const issued = await this.tokens.issueAccessToken({
      kind: 'client',
      id: client.id,
      clientId: client.clientId,
      organizationId: organization.id,
      organizationKind: organization.kind,
      roles: ['isp_client'],
      // As read before the secret was checked: a rotation meanwhile revokes this token too.
      generation: client.tokenGeneration,
    });
    const actor: Principal = {
      kind: 'client',
      id: client.id,
      organizationId: organization.id,
      organizationKind: organization.kind,
      roles: ['isp_client'],
      tokenId: issued.jti,
    };
    await this.dataSource.transaction(async (manager) => {
      await this.clients.touchLastUsed(manager, client.id);
      await this.audit.record(manager, {
        actor,
        action: 'auth.token',
        objectType: 'api_client',
        objectId: client.id,
        summary: { clientId: client.clientId, tokenId: issued.jti, expiresIn: issued.expiresIn },
      });
    });
    return { access_token: issued.accessToken, token_type: 'Bearer', expires_in: issued.expiresIn };
  }

  /**
   * A refused password check of an existing account, by a login or (with `caller`) by a
   * password change: counted (a wrong password) towards one lockout, and recorded.
   */
  private async loginFailed(
    user: UserEntity,
    reason: 'password' | 'locked' | 'disabled',
    caller?: Principal,
  ): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const count =
        reason === 'password'
          ? await this.users.recordFailedLogin(manager, user.id, LOCKOUT)
          : undefined;
      const event = {
        objectType: 'user',
        objectId: user.id,
        summary: {
          reason,
          organizationId: user.organizationId,
          failedLogins: count?.failedLogins ?? user.failedLogins,
        },
      };
      // A failed login: nobody is authenticated, the service records what was attempted on
      // whose account. A failed change: its caller did.
      await this.audit.record(
        manager,
        caller
          ? { ...event, actor: caller, action: 'auth.password_change_failed' }
          : { ...event, actor: 'system', action: 'auth.login_failed' },
      );
      if (count?.locked) {
        await this.audit.record(manager, {
          actor: 'system',
          action: 'auth.lockout',
          objectType: 'user',
          objectId: user.id,
          summary: {
            organizationId: user.organizationId,
            failedLogins: count.failedLogins,
            lockedUntil: count.lockedUntil?.toISOString() ?? null,
          },
        });
      }
    });
  }

  /**
   * Revokes a whole session (refresh token family) for a security reason, recorded: its access
   * tokens too (`announce`: see PrincipalCache.propagateEach).
   */
  private async endSession(
    manager: EntityManager,
    announce: (key: PrincipalKey) => () => void,
    userId: string,
    session: string,
    reason: 'refresh_token_reused' | 'user_disabled',
  ): Promise<void> {
    const release = announce(`session:${session}`);
    const revoked = await this.refreshTokens.revokeFamily(manager, session);
    if (revoked === 0) return release();
    await this.audit.record(manager, {
      actor: 'system',
      action: 'auth.session_revoke',
      objectType: 'user',
      objectId: userId,
      summary: { session, reason, revoked },
    });
  }

  private async issueForUser(
    manager: EntityManager,
    user: UserEntity,
    organization: OrganizationEntity,
    familyId: string,
  ): Promise<{ response: TokenResponse; jti: string }> {
    // Signed with the key KeysService holds in memory (re-read in the background): normally no
    // second connection is taken while this transaction holds one.
    const issued = await this.tokens.issueAccessToken({
      kind: 'user',
      id: user.id,
      clientId: LOGIN_CLIENT_ID,
      organizationId: organization.id,
      organizationKind: organization.kind,
      roles: user.roles,
      generation: user.tokenGeneration,
      session: familyId,
    });
    const refresh = this.tokens.newRefreshToken();
    await this.refreshTokens.insert(manager, {
      familyId,
      userId: user.id,
      tokenHash: refresh.hash,
      expiresAt: new Date(this.clock.now().getTime() + this.config.REFRESH_TOKEN_TTL_S * 1000),
    });
    return {
      jti: issued.jti,
      response: {
        access_token: issued.accessToken,
        token_type: 'Bearer',
        expires_in: issued.expiresIn,
        refresh_token: refresh.token,
        passwordChangeRequired: user.mustChangePassword,
      },
    };
  }
}

/** The user as the actor of their own login, refresh or logout. */
function userPrincipal(
  user: UserEntity,
  organization: OrganizationEntity,
  tokenId: string,
): Principal {
  return {
    kind: 'user',
    id: user.id,
    organizationId: organization.id,
    organizationKind: organization.kind,
    roles: user.roles,
    tokenId,
  };
}
