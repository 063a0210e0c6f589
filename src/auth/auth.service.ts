import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { ApiClientsRepository } from '#src/api-clients/api-clients.repository.js';
import { unauthorized } from '#src/auth/access.guard.js';
import { parseBasic } from '#src/auth/basic-auth.js';
import type { ClientCredentialsRequest, LoginRequest, TokenResponse } from '#src/auth/auth.dto.js';
import { OAuthError } from '#src/auth/oauth-error.js';
import { verifySecret } from '#src/auth/passwords.js';
import { RefreshTokensRepository } from '#src/auth/refresh-tokens.repository.js';
import { hashRefreshToken, LOGIN_CLIENT_ID, TokenService } from '#src/auth/token.service.js';
import { AppConfig } from '#src/config/config.js';
import { OrganizationsRepository } from '#src/organizations/organizations.repository.js';
import type { UserEntity } from '#src/users/user.entity.js';
import { UsersRepository } from '#src/users/users.repository.js';

/** Progressive lockout: from the 5th consecutive failure, 1 min, doubling, at most 1 h. */
export const LOCKOUT = { lockAfter: 5, baseLockMs: 60_000, maxLockMs: 3_600_000 } as const;

/** The one answer to every failed login: it does not tell which part was wrong. */
const LOGIN_FAILED =
  'The e-mail and password do not match an enabled account, or it is locked for a while';

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersRepository,
    private readonly organizations: OrganizationsRepository,
    private readonly clients: ApiClientsRepository,
    private readonly refreshTokens: RefreshTokensRepository,
    private readonly tokens: TokenService,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  /**
   * Password login → access + refresh token. An unknown e-mail, a wrong password, a disabled
   * or a locked account all get the same 401 after the same argon2 work.
   */
  async login(request: LoginRequest): Promise<TokenResponse> {
    const user = await this.users.findByEmail(request.email);
    const passwordOk = await verifySecret(user?.passwordHash, request.password);
    if (!user) throw unauthorized(LOGIN_FAILED);
    const locked = user.lockedUntil !== null && user.lockedUntil.getTime() > Date.now();
    if (!passwordOk) {
      await this.users.recordFailedLogin(user.id, LOCKOUT);
      throw unauthorized(LOGIN_FAILED);
    }
    if (locked || user.disabled) throw unauthorized(LOGIN_FAILED);
    await this.users.recordSuccessfulLogin(user.id);
    return this.issueForUser(user, randomUUID());
  }

  /**
   * Spends a refresh token and issues the next pair of the same family. A spent, revoked or
   * unknown token is refused; a spent one revokes its whole family (reuse = theft).
   */
  async refresh(refreshToken: string): Promise<TokenResponse> {
    const outcome = await this.refreshTokens.transaction(async (manager) => {
      const token = await this.refreshTokens.findByHashForUpdate(
        manager,
        hashRefreshToken(refreshToken),
      );
      if (!token) return { refused: 'The refresh token is not valid', token: undefined };
      if (token.spentAt) {
        await this.refreshTokens.revokeFamily(manager, token.familyId);
        return {
          refused: 'The refresh token was already used: every token of its session is revoked',
        } as const;
      }
      if (token.revokedAt) return { refused: 'The refresh token was revoked', token: undefined };
      if (token.expiresAt.getTime() <= Date.now())
        return { refused: 'The refresh token has expired', token: undefined };
      await this.refreshTokens.markSpent(manager, token.id);
      return { refused: '', token };
    });
    // The family revocation above is committed before the refusal is answered.
    if (!outcome.token) throw unauthorized(outcome.refused);
    const { token } = outcome;
    const user = await this.users.findById(token.userId);
    if (!user || user.disabled) {
      await this.refreshTokens.revokeFamily(undefined, token.familyId);
      throw unauthorized('The user is disabled');
    }
    return this.issueForUser(user, token.familyId);
  }

  /** Ends the session of this refresh token (its whole family). Unknown tokens are ignored. */
  async logout(refreshToken: string): Promise<void> {
    await this.refreshTokens.transaction(async (manager) => {
      const token = await this.refreshTokens.findByHashForUpdate(
        manager,
        hashRefreshToken(refreshToken),
      );
      if (token) await this.refreshTokens.revokeFamily(manager, token.familyId);
    });
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
    await this.clients.touchLastUsed(client.id);
    const issued = await this.tokens.issueAccessToken({
      kind: 'client',
      id: client.id,
      clientId: client.clientId,
      organizationId: organization.id,
      organizationKind: organization.kind,
      roles: ['isp_client'],
    });
    return { access_token: issued.accessToken, token_type: 'Bearer', expires_in: issued.expiresIn };
  }

  private async issueForUser(user: UserEntity, familyId: string): Promise<TokenResponse> {
    const organization = await this.organizations.findById(user.organizationId);
    if (!organization) throw unauthorized(LOGIN_FAILED);
    const issued = await this.tokens.issueAccessToken({
      kind: 'user',
      id: user.id,
      clientId: LOGIN_CLIENT_ID,
      organizationId: organization.id,
      organizationKind: organization.kind,
      roles: user.roles,
    });
    const refresh = this.tokens.newRefreshToken();
    await this.refreshTokens.insert(undefined, {
      familyId,
      userId: user.id,
      tokenHash: refresh.hash,
      expiresAt: new Date(Date.now() + this.config.REFRESH_TOKEN_TTL_S * 1000),
    });
    return {
      access_token: issued.accessToken,
      token_type: 'Bearer',
      expires_in: issued.expiresIn,
      refresh_token: refresh.token,
    };
  }
}
