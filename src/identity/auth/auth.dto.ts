import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

export class LoginRequest {
  @ApiProperty({ example: 'analyst@department.example' })
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @ApiProperty({ example: 'correct horse battery staple', minLength: 1, maxLength: 1024 })
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
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
    description: 'Opaque, single use: exchange it at /auth/refresh for a new pair (login only)',
  })
  refresh_token?: string;
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
