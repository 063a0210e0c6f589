import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { SignJWT } from 'jose';
import type { OrganizationKind, Role } from '#src/identity/auth/roles.js';
import { IdentityConfig } from '#src/identity/identity.config.js';
import { KeysService, SIGNING_ALG } from '#src/identity/keys/keys.service.js';
import { tokenTimeSeconds } from '#src/platform/clock/index.js';

/** Claims of our access tokens (RFC 9068 profile, plus organization and roles). */
export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  iat: number;
  nbf?: number;
  jti: string;
  client_id: string;
  /** `user` (a person) or `client` (an ISP's API client). */
  sub_type: 'user' | 'client';
  org: string;
  org_kind: OrganizationKind;
  roles: Role[];
  /** The subject's token generation when issued: a lower one than its current is revoked. */
  gen: number;
  /** People only: the session (refresh-token family) the token belongs to; logout ends it. */
  sid?: string;
}

export interface TokenSubject {
  kind: 'user' | 'client';
  id: string;
  clientId: string;
  organizationId: string;
  organizationKind: OrganizationKind;
  roles: Role[];
  /** The user's or client's `token_generation` as read before issuing (the `gen` claim). */
  generation: number;
  /** The refresh-token family of a person's session (the `sid` claim). */
  session?: string;
}

export interface IssuedAccessToken {
  accessToken: string;
  expiresIn: number;
  kid: string;
  /** The token's `jti`: names it in the audit trail (never the token itself). */
  jti: string;
}

/** The `client_id` claim of tokens issued to people through /auth/login. */
export const LOGIN_CLIENT_ID = 'threat-exchange-login';

@Injectable()
export class TokenService {
  constructor(
    private readonly keys: KeysService,
    @Inject(IdentityConfig) private readonly config: IdentityConfig,
  ) {}

  /** Signs an access token (ES256, `typ: at+jwt`, the active key's `kid`). */
  async issueAccessToken(subject: TokenSubject): Promise<IssuedAccessToken> {
    const key = await this.keys.signingKey();
    const now = Math.floor(tokenTimeSeconds());
    const ttl = this.config.ACCESS_TOKEN_TTL_S;
    const jti = randomUUID();
    const accessToken = await new SignJWT({
      client_id: subject.clientId,
      sub_type: subject.kind,
      org: subject.organizationId,
      org_kind: subject.organizationKind,
      roles: subject.roles,
      gen: subject.generation,
      ...(subject.session === undefined ? {} : { sid: subject.session }),
    })
      .setProtectedHeader({ alg: SIGNING_ALG, kid: key.kid, typ: 'at+jwt' })
      .setIssuer(this.config.JWT_ISSUER)
      .setSubject(subject.id)
      .setAudience(this.config.JWT_AUDIENCE)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + ttl)
      .setJti(jti)
      .sign(key.privateKey);
    return { accessToken, expiresIn: ttl, kid: key.kid, jti };
  }

  /** A new opaque refresh token and the SHA-256 under which it is stored. */
  newRefreshToken(): { token: string; hash: Buffer } {
    const token = randomBytes(32).toString('base64url');
    return { token, hash: hashRefreshToken(token) };
  }
}

export function hashRefreshToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
