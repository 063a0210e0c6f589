import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import type { Principal } from '#src/identity/auth/principal.js';
import { PrincipalService, TokenRefused } from '#src/identity/auth/principal.service.js';
import { VerifiedTokens } from '#src/identity/auth/verified-tokens.js';
import { IdentityConfig } from '#src/identity/identity.config.js';
import { KeysService, SIGNING_ALG } from '#src/identity/keys/keys.service.js';

/** The bearer token of a request (the same extraction passport-jwt does). */
export const bearerToken = ExtractJwt.fromAuthHeaderAsBearerToken();

/** The protected header of a compact JWS, unverified (the key lookup needs it first). */
export function headerOf(token: string): { alg?: unknown; kid?: unknown } | undefined {
  try {
    const json = Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8');
    const header: unknown = JSON.parse(json);
    return header && typeof header === 'object' ? header : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Bearer access tokens, verified by passport-jwt: the algorithm is pinned to ES256 (so `none`
 * and HS256-with-our-public-key are refused), `iss`, `aud`, `exp` and `nbf` are checked with
 * JWT_CLOCK_TOLERANCE_S of leeway, and the key is the one named by `kid`.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    keys: KeysService,
    private readonly principals: PrincipalService,
    private readonly verified: VerifiedTokens,
    @Inject(IdentityConfig) config: IdentityConfig,
  ) {
    super({
      jwtFromRequest: bearerToken,
      passReqToCallback: true,
      algorithms: [SIGNING_ALG],
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      ignoreExpiration: false,
      jsonWebTokenOptions: { clockTolerance: config.JWT_CLOCK_TOLERANCE_S },
      secretOrKeyProvider: (
        _request: unknown,
        rawJwtToken: string,
        done: (err: unknown, key?: string) => void,
      ) => {
        const header = headerOf(rawJwtToken);
        if (!header) return done(new TokenRefused('The access token is not valid'));
        if (typeof header.kid !== 'string') {
          return done(new TokenRefused('The access token names no key (kid)'));
        }
        keys.verificationKey(header.kid).then(
          (pem) =>
            pem
              ? done(null, pem)
              : done(new TokenRefused('The access token was signed by an unknown or retired key')),
          (error: unknown) => done(error),
        );
      },
    });
  }

  /** The caller; the verified token is remembered (VerifiedTokens) once it is accepted. */
  async validate(request: unknown, claims: Record<string, unknown>): Promise<Principal> {
    const principal = await this.principals.fromClaims(claims);
    const token = bearerToken(request as Parameters<typeof bearerToken>[0]);
    const kid = token ? headerOf(token)?.kid : undefined;
    if (token && typeof kid === 'string') this.verified.remember(token, kid, claims);
    return principal;
  }
}
