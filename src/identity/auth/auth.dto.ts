import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { NewPassword, PresentedPassword } from '#src/identity/auth/password-policy.js';

export class LoginRequest {
  @ApiProperty({ example: 'analyst@department.example' })
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @PresentedPassword()
  password!: string;
}

export class RefreshRequest {
  @ApiProperty({ description: 'The refresh token from the last login or refresh' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  refresh_token!: string;
}

export class TokenResponse {
  @ApiProperty({ description: 'JWT (ES256) to send as `Authorization: Bearer …`' })
  access_token!: string;

  @ApiProperty({ enum: ['Bearer'] })
  token_type!: 'Bearer';

  @ApiProperty({ example: 900, description: 'Seconds until the access token expires' })
  expires_in!: number;

  @ApiPropertyOptional({
    description:
      'Opaque, single use: exchange it at /auth/refresh for a new pair (people only, not the client-credentials grant)',
  })
  refresh_token?: string;

  @ApiPropertyOptional({
    description:
      'People only. True when an administrator reset the password: until it is changed ' +
      '(POST /auth/change-password), every other route answers 403 ' +
      '`urn:threat-exchange:problem:password-change-required`.',
  })
  passwordChangeRequired?: boolean;
}

export class ChangePasswordRequest {
  @PresentedPassword('The password the person has now (the temporary one after a reset)')
  currentPassword!: string;

  @NewPassword({ description: 'The new password; it must differ from the current one' })
  newPassword!: string;
}

/** RFC 6749 §4.4.2 request, form-encoded; client credentials in Basic auth or in the form. */
export class ClientCredentialsRequest {
  @ApiProperty({ enum: ['client_credentials'] })
  @IsString()
  @IsIn(['client_credentials'])
  grant_type!: string;

  @ApiPropertyOptional({ description: 'client_secret_post: the client id' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  client_id?: string;

  @ApiPropertyOptional({ description: 'client_secret_post: the client secret' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  client_secret?: string;

  @ApiPropertyOptional({ description: 'Ignored: the token carries the client’s role' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  scope?: string;
}

export class OAuthErrorResponse {
  @ApiProperty({ example: 'invalid_client' })
  error!: string;

  @ApiPropertyOptional({ example: 'Client authentication failed' })
  error_description?: string;
}
