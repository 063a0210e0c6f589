import { Transform } from 'class-transformer';
import { IsEmail, IsOptional, IsString, MinLength } from 'class-validator';
import { emptyToUndefined, IntInRange } from '#src/platform/config/index.js';
import { PASSWORD_MIN_LENGTH } from '#src/identity/auth/password-policy.js';

/** Identity's settings: access tokens, the first administrator, the login rate limit. */
export class IdentityConfig {
  /** `iss` of the access tokens we sign and accept. */
  @IsString({ message: 'JWT_ISSUER must be a non-empty string (a URL or URN)' })
  @MinLength(1, { message: 'JWT_ISSUER must be a non-empty string (a URL or URN)' })
  JWT_ISSUER = 'urn:threat-exchange';

  /** `aud` of the access tokens we sign and accept. */
  @IsString({ message: 'JWT_AUDIENCE must be a non-empty string' })
  @MinLength(1, { message: 'JWT_AUDIENCE must be a non-empty string' })
  JWT_AUDIENCE = 'threat-exchange-api';

  @IntInRange(60, 86400)
  ACCESS_TOKEN_TTL_S = 900;

  @IntInRange(300, 31536000)
  REFRESH_TOKEN_TTL_S = 2592000;

  /** Leeway for `exp`/`nbf`/`iat` between our clock and the token's. */
  @IntInRange(0, 300)
  JWT_CLOCK_TOLERANCE_S = 30;

  /** E-mail of the administrator created on first start with an empty database. */
  @IsEmail({}, { message: 'ADMIN_EMAIL must be an e-mail address' })
  ADMIN_EMAIL = 'admin@department.example';

  /** Password of that administrator; unset: generated and printed once. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(PASSWORD_MIN_LENGTH, {
    message: `ADMIN_PASSWORD must be at least ${PASSWORD_MIN_LENGTH} characters`,
  })
  ADMIN_PASSWORD?: string;

  /**
   * Login and token attempts accepted per client address and minute, and failed HTTP Basic
   * authentications (TAXII) per address and minute (then 429).
   */
  @IntInRange(1, 10000)
  AUTH_RATE_LIMIT_PER_MINUTE = 20;
}
