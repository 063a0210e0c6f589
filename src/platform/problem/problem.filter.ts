import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  PROBLEM_CONTENT_TYPE,
  ProblemException,
  ProblemType,
  statusTitle,
  type ProblemDetails,
} from '#src/platform/problem/problem.js';
import {
  badRequest,
  conflict,
  httpProblem,
  internalProblem,
  payloadTooLarge,
  requestTimeout,
  serviceUnavailable,
  type Limit,
} from '#src/platform/problem/problems.js';
import { isDatabaseUnavailable, sqlState } from '#src/platform/database/index.js';

interface FastifyLikeError {
  statusCode?: unknown;
  code?: unknown;
  message?: unknown;
}

/**
 * An error shape other than problem+json, for a protocol that prescribes its own: the
 * composition root installs each context's (identity's OAuth token errors, feeds' TAXII), so
 * that this filter knows none of them.
 */
export interface ErrorDialect {
  /** Answers an exception of the dialect's own kind as it is; true when it did. */
  sendException?(exception: unknown, reply: FastifyReply): boolean;
  /** Answers a problem in the dialect's shape when the request is one of its own; true when it did. */
  sendProblem?(request: FastifyRequest, reply: FastifyReply, problem: ProblemException): boolean;
}

/**
 * The one place where errors become responses (RFC 9457 problem+json). Routes, Fastify's own
 * errors (body parser, limits, media type) and unknown routes all pass through here.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(
    private readonly options: {
      retryAfterSeconds: number;
      bodyLimitBytes: number;
      dialects: readonly ErrorDialect[];
      /** Told of every refusal by a limit (a problem with a `limit` member): the metric. */
      onLimit?: (name: string) => void;
    },
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    for (const dialect of this.options.dialects) {
      if (dialect.sendException?.(exception, reply) === true) return;
    }
    const problem = this.toProblemException(exception, request);
    const limit = problem.extensions.limit;
    if (typeof limit === 'string') this.options.onLimit?.(limit);

    if (problem.type === ProblemType.internal) {
      request.log.error({ err: exception }, 'unhandled error');
    } else if (problem.type === ProblemType.databaseUnavailable) {
      request.log.warn({ err: exception }, 'database unavailable');
    }
    sendProblem(request, reply, problem, this.options.dialects);
  }

  private toProblemException(exception: unknown, request: FastifyRequest): ProblemException {
    const context = {
      // The route's own limit: a large-body route's is not BODY_LIMIT_BYTES.
      bodyLimit: request.routeOptions.bodyLimit ?? this.options.bodyLimitBytes,
      contentType: request.headers['content-type'] ?? '(none)',
    };
    if (exception instanceof ProblemException) return exception;
    if (exception instanceof HttpException && exception.getStatus() < 500) {
      // Nest wraps Fastify's own client errors (body parser, limits) with the original as cause.
      return fromFastifyError(exception.cause, context) ?? fromHttpException(exception);
    }
    if (isDatabaseUnavailable(exception)) {
      return serviceUnavailable(
        'The service cannot reach its database right now; retry after the given delay.',
        this.options.retryAfterSeconds,
        { type: ProblemType.databaseUnavailable, title: 'The database is unavailable' },
      );
    }
    const state = sqlState(exception);
    if (state === '23505' || state === '23503') {
      return conflict(
        state === '23505'
          ? 'The request conflicts with an existing record'
          : 'The request refers to a record that does not exist or is still referenced',
      );
    }
    if (state?.startsWith('22')) {
      // A data exception (bad input syntax, out of range): a value a service did not check.
      return badRequest('A value in the request is not valid for its field');
    }
    if (state === '23502' || state === '23514') {
      // A NOT NULL or CHECK constraint: a combination of values a service did not check.
      return badRequest(
        'The values in the request break a rule of the record (a required value or a check)',
      );
    }
    if (state === '40P01' || state === '40001') {
      // A deadlock or serialization failure: nothing was written; the same request may succeed.
      return serviceUnavailable('Nothing was changed; retry after the given delay.', 1, {
        type: ProblemType.databaseUnavailable,
        title: 'A concurrent change got in the way',
      });
    }
    if (state === '57014') {
      return serviceUnavailable(
        'The query took longer than allowed; retry after the given delay.',
        this.options.retryAfterSeconds,
        { type: ProblemType.databaseUnavailable, title: 'The database did not answer in time' },
      );
    }
    const fastify = fromFastifyError(exception, context);
    if (fastify) return fastify;
    // Anything else, including a 5xx HttpException: its message may be internal, never sent.
    const status = exception instanceof HttpException ? exception.getStatus() : 500;
    return internalProblem(status);
  }
}

/**
 * Writes a problem as the response, with the request's path and id (RFC 9457 §3.1), or in the
 * shape of the first of `dialects` that claims the request.
 */
export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  problem: ProblemException,
  dialects: readonly ErrorDialect[],
): void {
  if (reply.sent) return;
  for (const dialect of dialects) {
    if (dialect.sendProblem?.(request, reply, problem) === true) return;
  }
  const body: ProblemDetails = {
    ...problem.toProblem(),
    instance: request.url,
    requestId: request.id,
  };
  void reply
    .status(problem.getStatus())
    .headers(problem.headers)
    .header('content-type', PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify(body));
}

function fromHttpException(exception: HttpException): ProblemException {
  const status = exception.getStatus();
  const response = exception.getResponse();
  let detail: string | undefined;
  if (typeof response === 'string') detail = response;
  else if (response && typeof response === 'object' && 'message' in response) {
    const message: unknown = response.message;
    detail = Array.isArray(message) ? message.join('; ') : String(message);
  }
  if (status === 404 && detail?.startsWith('Cannot ')) {
    detail = `No route matches ${detail.slice('Cannot '.length)}`;
  }
  return httpProblem(status, detail);
}

function malformedJson(reason?: string): ProblemException {
  return badRequest(reason ? `The body could not be parsed as JSON: ${reason}` : undefined, {
    type: ProblemType.malformedBody,
    title: 'The request body is not valid JSON',
  });
}

/** Fastify's own client errors (`FST_ERR_*`), which carry their status code. */
function fromFastifyError(
  exception: unknown,
  context: { bodyLimit: number; contentType: string },
): ProblemException | undefined {
  if (exception === null || typeof exception !== 'object') return undefined;
  const e = exception as FastifyLikeError;
  const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  if (status === undefined || status < 400 || status >= 500) return undefined;
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : statusTitle(status);
  if (exception instanceof SyntaxError || code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return malformedJson(message);
  }
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return payloadTooLarge(
      `The request body is larger than the limit of ${context.bodyLimit} bytes`,
      { name: 'body-size', value: context.bodyLimit },
    );
  }
  // A timeout of ours (the request body's) names its limit.
  const limit = (e as { limit?: unknown }).limit as Limit | undefined;
  if (status === 408 && typeof limit?.name === 'string' && typeof limit.value === 'number') {
    return requestTimeout(message, limit);
  }
  const details: Record<string, string> = {
    FST_ERR_CTP_INVALID_MEDIA_TYPE: `This operation does not accept a body of type ${context.contentType}`,
    FST_ERR_CTP_EMPTY_JSON_BODY: 'The body is empty but the content type says JSON',
  };
  return httpProblem(status, details[code] ?? message);
}

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser refuses before any route (a request
 * line and headers past the size limit, a request that is not HTTP, one not received in time)
 * is answered as a problem too, rather than in Fastify's own JSON; then the connection closes,
 * since the rest of its bytes cannot be trusted.
 */
export function sendClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, detail] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'The request line and headers are larger than the server accepts']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'The request was not received in time']
        : [400, 'The request is not valid HTTP/1.1'];
  const body = JSON.stringify(httpProblem(status, detail).toProblem());
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
