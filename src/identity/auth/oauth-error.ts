import { HttpException } from '@nestjs/common';

/** Error codes of RFC 6749 §5.2 used by the token endpoint. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope';

/**
 * An error of the OAuth 2.0 token endpoint. Unlike every other error of the API, it is answered
 * in the RFC 6749 §5.2 shape (`{ error, error_description }`), which OAuth clients expect.
 */
export class OAuthError extends HttpException {
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    status = error === 'invalid_client' ? 401 : 400,
    /** Set when the client authenticated with HTTP Basic: answer with WWW-Authenticate. */
    readonly basicChallenge = false,
  ) {
    super({ error, error_description: description }, status);
  }
}
