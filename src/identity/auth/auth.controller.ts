import { Body, Controller, Header, Headers, HttpCode, Post } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { RouteConfig } from '@nestjs/platform-fastify';
import { Public } from '#src/platform/http/index.js';
import { PasswordChange } from '#src/identity/auth/access.decorators.js';
import { CurrentPrincipal } from '#src/identity/auth/current-principal.decorator.js';
import type { Principal } from '#src/identity/auth/principal.js';
import {
  ChangePasswordRequest,
  ClientCredentialsRequest,
  LoginRequest,
  OAuthErrorResponse,
  RefreshRequest,
  TokenResponse,
} from '#src/identity/auth/auth.dto.js';
import { AuthService } from '#src/identity/auth/auth.service.js';
import { ApiProblemResponses } from '#src/platform/openapi/index.js';

/**
 * Login, refresh, token and password-change requests count against AUTH_RATE_LIMIT_PER_MINUTE
 * per address.
 */
const RATE_LIMITED = { rateLimit: {} };

@ApiTags('Auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @Public()
  @Header('cache-control', 'no-store')
  @RouteConfig(RATE_LIMITED)
  @HttpCode(200)
  @ApiOperation({
    operationId: 'login',
    summary: 'Log in with e-mail and password',
    description:
      'Returns an access token (JWT) and a single-use refresh token. Repeated failures lock the ' +
      'account for a growing time; the answer never says whether the e-mail exists.',
  })
  @ApiOkResponse({ type: TokenResponse })
  @ApiProblemResponses(400, 401, 413, 415, 429)
  login(@Body() body: LoginRequest): Promise<TokenResponse> {
    return this.auth.login(body);
  }

  @Post('refresh')
  @Public()
  @Header('cache-control', 'no-store')
  @RouteConfig(RATE_LIMITED)
  @HttpCode(200)
  @ApiOperation({
    operationId: 'refreshToken',
    summary: 'Exchange a refresh token for a new token pair',
    description:
      'Refresh tokens rotate: each is spent by use. Presenting a spent one revokes every token ' +
      'of its session (it was copied), and the user must log in again.',
  })
  @ApiOkResponse({ type: TokenResponse })
  @ApiProblemResponses(400, 401, 429)
  refresh(@Body() body: RefreshRequest): Promise<TokenResponse> {
    return this.auth.refresh(body.refresh_token);
  }

  @Post('logout')
  @Public()
  @HttpCode(204)
  @ApiOperation({
    operationId: 'logout',
    summary: 'End the session of a refresh token',
    description:
      'Revokes the refresh token and every other token of its session, access tokens included (on every instance, before the answer).',
  })
  @ApiResponse({ status: 204, description: 'Done (also for an unknown token)' })
  @ApiProblemResponses(400, 429)
  logout(@Body() body: RefreshRequest): Promise<void> {
    return this.auth.logout(body.refresh_token);
  }

  @Post('change-password')
  @PasswordChange()
  @Header('cache-control', 'no-store')
  @RouteConfig(RATE_LIMITED)
  @HttpCode(200)
  @ApiOperation({
    operationId: 'changePassword',
    summary: 'Change your own password',
    description:
      'For a signed-in person, also one whose password is temporary (reset by an ' +
      'administrator, or generated at the first start or by the command line: the only route ' +
      'their token allows). The current password is checked like a login: a wrong ' +
      'one counts towards the same lockout, and a locked account is refused (403 ' +
      '`urn:threat-exchange:problem:current-password-rejected` either way). On success every ' +
      'session and access token of the person ends, on every instance, this one included; the ' +
      'answer is the token pair of a new session.',
  })
  @ApiOkResponse({ type: TokenResponse })
  @ApiProblemResponses(400, 409, 413, 415, 429)
  changePassword(
    @CurrentPrincipal() caller: Principal,
    @Body() body: ChangePasswordRequest,
  ): Promise<TokenResponse> {
    return this.auth.changePassword(caller, body);
  }

  @Post('token')
  @Public()
  @Header('cache-control', 'no-store')
  @RouteConfig(RATE_LIMITED)
  @HttpCode(200)
  @ApiOperation({
    operationId: 'clientCredentialsToken',
    summary: 'OAuth 2.0 token endpoint (client credentials, RFC 6749 §4.4)',
    description:
      'For ISP API clients. Form-encoded; authenticate with HTTP Basic (client_secret_basic) or ' +
      'with client_id and client_secret in the form (client_secret_post). Errors use the ' +
      'RFC 6749 §5.2 shape, not problem+json.',
  })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({ type: ClientCredentialsRequest })
  @ApiOkResponse({ type: TokenResponse })
  @ApiResponse({ status: 400, description: 'RFC 6749 §5.2 error', type: OAuthErrorResponse })
  @ApiResponse({ status: 401, description: 'invalid_client', type: OAuthErrorResponse })
  @ApiProblemResponses(413, 415, 429)
  token(
    @Body() body: Record<string, string>,
    @Headers('authorization') authorization?: string,
    @Headers('content-type') contentType?: string,
  ): Promise<TokenResponse> {
    return this.auth.clientCredentials(body, authorization, contentType);
  }
}
