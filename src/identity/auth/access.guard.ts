import { Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import type { AccessRule } from '#src/identity/auth/access.decorators.js';
import { ACCESS_METADATA } from '#src/platform/http/index.js';
import type { Principal } from '#src/identity/auth/principal.js';
import { FailedAttempts } from '#src/identity/auth/failed-attempts.js';
import { bearerToken } from '#src/identity/auth/jwt.strategy.js';
import { PrincipalService, TokenRefused } from '#src/identity/auth/principal.service.js';
import { VerifiedTokens } from '#src/identity/auth/verified-tokens.js';
import {
  ProblemException,
  ProblemType,
  unauthorized,
  forbidden,
} from '#src/platform/problem/index.js';

/** The 403 detail for a person who must change their password before anything else. */
export const PASSWORD_CHANGE_REQUIRED =
  'Your password is a temporary one (set by an administrator, or generated at the first start or by the command line): change it (POST /api/v1/auth/change-password) before anything else';

/** Messages of jsonwebtoken / passport-jwt, as details a client can act on. */
function detailFor(info: unknown): string {
  if (info instanceof TokenRefused) return info.message;
  const message = info instanceof Error ? info.message : typeof info === 'string' ? info : '';
  if (info instanceof Error && info.name === 'TokenExpiredError')
    return 'The access token has expired';
  if (info instanceof Error && info.name === 'NotBeforeError')
    return 'The access token is not valid yet';
  if (/No auth token/i.test(message)) return 'A bearer access token is required';
  if (/jwt audience invalid/i.test(message))
    return 'The access token is not meant for this API (aud)';
  if (/jwt issuer invalid/i.test(message))
    return 'The access token was not issued by this service (iss)';
  if (/invalid algorithm/i.test(message)) return 'The access token is not signed with ES256';
  if (/signature is required/i.test(message)) return 'The access token is unsigned (alg: none)';
  return 'The access token is not valid';
}

const BASIC_OR_BEARER = 'Basic realm="threat-exchange", charset="UTF-8", Bearer';

/**
 * The global guard: every route is closed unless it says who may call it (@Public, @Roles or
 * @PasswordChange). Bearer tokens go through the passport-jwt strategy; the roles are then
 * checked. 401 for a missing or invalid token, 403 for a valid token without the role, and
 * 403 `password-change-required` for a person who must change their password, on every route
 * but @PasswordChange's.
 */
@Injectable()
export class AccessGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    private readonly principals: PrincipalService,
    private readonly verified: VerifiedTokens,
    private readonly failures: FailedAttempts,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (rule && 'public' in rule) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: Principal }>();
    if (rule?.basic) {
      await this.authenticateWithBasic(context, request);
    } else {
      await this.authenticateBearer(context, request);
    }
    const principal = request.user;
    if (principal?.passwordChangeRequired && !rule?.duringPasswordChange) {
      throw forbidden(PASSWORD_CHANGE_REQUIRED, {
        type: ProblemType.passwordChangeRequired,
        title: 'Password change required',
      });
    }
    const allowed = rule?.roles ?? [];
    if (!principal || !principal.roles.some((r) => allowed.includes(r))) {
      throw forbidden('Your roles do not allow this operation');
    }
    return true;
  }

  /**
   * A token verified before (VerifiedTokens) skips the signature check, not the caller's
   * state; any other goes through passport-jwt.
   */
  private async authenticateBearer(
    context: ExecutionContext,
    request: FastifyRequest & { user?: Principal },
  ): Promise<void> {
    const token = bearerToken(request);
    const claims = token ? this.verified.lookup(token) : undefined;
    if (!claims) {
      await super.canActivate(context);
      return;
    }
    request.user = await this.principals.fromClaims(claims).catch((e: unknown) => {
      throw e instanceof TokenRefused ? unauthorized(e.message) : e;
    });
  }

  /** Basic credentials when sent, else the bearer token; a 401 names both schemes. */
  private async authenticateWithBasic(
    context: ExecutionContext,
    request: FastifyRequest & { user?: Principal },
  ): Promise<void> {
    const authorization = request.headers.authorization;
    try {
      if (authorization && /^basic\b/i.test(authorization.trim())) {
        this.failures.check(request.ip);
        request.user = await this.principals
          .authenticateBasic(authorization)
          .catch((e: unknown) => {
            if (e instanceof TokenRefused) this.failures.fail(request.ip);
            throw e instanceof TokenRefused ? unauthorized(e.message) : e;
          });
      } else {
        await this.authenticateBearer(context, request);
      }
    } catch (error) {
      // Every 401 here comes from unauthorized(): the same problem, naming both schemes.
      if (error instanceof ProblemException && error.getStatus() === 401) {
        throw unauthorized(error.detail, BASIC_OR_BEARER);
      }
      throw error;
    }
  }

  override handleRequest<T = Principal>(err: unknown, user: T | false, info: unknown): T {
    if (err instanceof TokenRefused) throw unauthorized(err.message);
    if (err) throw err instanceof Error ? err : new Error('authentication failed');
    if (!user) throw unauthorized(detailFor(info));
    return user;
  }
}
