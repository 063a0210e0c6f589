import { HttpException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { ErrorDialect } from '#src/platform/problem/index.js';

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

/** RFC 6749 §5.2: the token endpoint's own error shape. */
function sendOAuthError(reply: FastifyReply, error: OAuthError): void {
  if (reply.sent) return;
  if (error.basicChallenge) void reply.header('www-authenticate', 'Basic realm="threat-exchange"');
  void reply
    .status(error.getStatus())
    .header('cache-control', 'no-store')
    .header('content-type', 'application/json; charset=utf-8')
    .send(JSON.stringify({ error: error.error, error_description: error.description }));
}

/** OAuth errors answered in their own shape: installed in the ProblemFilter by app.factory. */
export const OAUTH_ERROR_DIALECT: ErrorDialect = {
  sendException(exception, reply) {
    if (!(exception instanceof OAuthError)) return false;
    sendOAuthError(reply, exception);
    return true;
  },
};
