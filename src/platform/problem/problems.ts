import { HttpStatus } from '@nestjs/common';
import { ProblemException, ProblemType } from '#src/platform/problem/problem.js';

const INTERNAL_DETAIL = 'An unexpected error occurred. Quote the request id when reporting it.';

/**
 * What a constructor may add to its problem: a more specific `type`, a `title` (else the
 * type's usual one, for about:blank the status phrase), extension members (RFC 9457 §3.2) and
 * response headers.
 */
export interface ProblemMore {
  type?: string;
  title?: string;
  extensions?: Record<string, unknown>;
  headers?: Record<string, string>;
}

/**
 * The one home of the problems the application throws: each constructor fixes a status and
 * its usual type, the caller says what went wrong in `detail`. Code outside this folder does
 * not call `new ProblemException(...)`; a new kind of failure gets a constructor here (or a
 * `type` through `more`), so that the statuses and types clients switch on stay few and listed.
 */
function problem(
  status: number,
  usual: ProblemMore,
  detail: string | undefined,
  more: ProblemMore = {},
): ProblemException {
  const headers = { ...usual.headers, ...more.headers };
  return new ProblemException(status, { ...usual, ...more, detail, headers });
}

/**
 * A plain HTTP failure (type about:blank, the status phrase as title, RFC 9457 §4.2.1), for
 * a status with no constructor of its own (406, 408, 413, 415…) or one taken as it came
 * (a Nest or Fastify client error).
 */
export function httpProblem(
  status: HttpStatus | number,
  detail: string | undefined,
  more?: ProblemMore,
): ProblemException {
  return problem(status, {}, detail, more);
}

/** 400: the request itself is wrong (a header, a parameter, a body that cannot be read). */
export function badRequest(detail: string | undefined, more?: ProblemMore): ProblemException {
  return problem(HttpStatus.BAD_REQUEST, {}, detail, more);
}

/**
 * 401 of type `unauthorized`: no valid credentials. `challenge` is the `WWW-Authenticate`
 * value (RFC 9110 §11.6.1): the bearer token's by default.
 */
export function unauthorized(
  detail: string | undefined,
  challenge = 'Bearer error="invalid_token"',
): ProblemException {
  return problem(HttpStatus.UNAUTHORIZED, { type: ProblemType.unauthorized }, detail, {
    headers: { 'www-authenticate': challenge },
  });
}

/** 403: the caller is known but may not do this (its roles, the two-person rule). */
export function forbidden(detail: string, more?: ProblemMore): ProblemException {
  return problem(HttpStatus.FORBIDDEN, {}, detail, more);
}

/**
 * 404 `No such <what>`: the one answer for a record that does not exist and for one the caller
 * may not see (another ISP's record is invisible, not forbidden: see identity/tenancy).
 */
export function notFound(what: string): ProblemException {
  return problem(HttpStatus.NOT_FOUND, {}, `No such ${what}`);
}

/** 409 of type `conflict`: the request collides with a record that exists (a duplicate name…). */
export function conflict(detail: string, more?: ProblemMore): ProblemException {
  return problem(HttpStatus.CONFLICT, { type: ProblemType.conflict }, detail, more);
}

/**
 * 409 of type `conflict`, "The record has changed": the `version` the caller read is not the
 * record's any more (optimistic locking); reading it again and reapplying the change helps.
 */
export function staleVersion(what: string): ProblemException {
  return conflict(
    `The ${what} was changed since you read it: read it again and reapply your change`,
    { title: 'The record has changed' },
  );
}

/**
 * 409 of type `invalid-state`: the record is not in a state that allows this (a closed
 * assignment, a withdrawn request, a built-in list…).
 */
export function invalidState(detail: string, more?: ProblemMore): ProblemException {
  return problem(HttpStatus.CONFLICT, { type: ProblemType.invalidState }, detail, more);
}

/**
 * 422, of type `validation` unless `more` names another: a well-formed body that the rules
 * refuse (the title says which rule; the reasons go in `invalid-params` where they name fields).
 */
export function unprocessable(detail: string, more?: ProblemMore): ProblemException {
  return problem(HttpStatus.UNPROCESSABLE_ENTITY, { type: ProblemType.validation }, detail, more);
}

/**
 * A limit the request ran into, as a 429 or 413 states it: its stable name (what clients and
 * the `limit_refusals_total` metric switch on, e.g. `snapshots-per-organization`) and its
 * configured value.
 */
export interface Limit {
  name: string;
  value: number;
}

/** The extension members a refusal by `limit` carries. */
function limitMembers(limit: Limit, retryAfterSeconds?: number): Record<string, unknown> {
  return {
    limit: limit.name,
    limitValue: limit.value,
    ...(retryAfterSeconds === undefined ? {} : { retryAfter: retryAfterSeconds }),
  };
}

/**
 * 429 of type `rate-limited`: too many at once, the same request may pass later. Says which
 * limit (`limit`, `limitValue`) and when to retry, twice: the `Retry-After` header and the
 * `retryAfter` member (whole seconds, at least 1). Every 429 of the service is built here.
 */
export function rateLimited(
  detail: string,
  limit: Limit & { retryAfterSeconds: number },
  more: ProblemMore = {},
): ProblemException {
  const seconds = Math.max(1, Math.ceil(limit.retryAfterSeconds));
  return problem(
    HttpStatus.TOO_MANY_REQUESTS,
    { type: ProblemType.rateLimited, headers: { 'retry-after': String(seconds) } },
    detail,
    { ...more, extensions: { ...more.extensions, ...limitMembers(limit, seconds) } },
  );
}

/**
 * 408 (about:blank): the request did not arrive within `limit` (in ms or s, as the limit's
 * name says); the connection closes after it. Says which limit (`limit`, `limitValue`); the
 * same request may be sent again at once, faster.
 */
export function requestTimeout(
  detail: string,
  limit: Limit,
  more: ProblemMore = {},
): ProblemException {
  return problem(
    HttpStatus.REQUEST_TIMEOUT,
    { headers: { connection: 'close', ...more.headers } },
    detail,
    { ...more, extensions: { ...more.extensions, ...limitMembers(limit) } },
  );
}

/**
 * 413 (about:blank): the body is larger than `limit` allows; the same request will not pass
 * later, so no retry is named. Says which limit (`limit`, `limitValue` in bytes).
 */
export function payloadTooLarge(
  detail: string,
  limit: Limit,
  more: ProblemMore = {},
): ProblemException {
  return problem(HttpStatus.PAYLOAD_TOO_LARGE, {}, detail, {
    ...more,
    extensions: { ...more.extensions, ...limitMembers(limit) },
  });
}

/**
 * 503 with `Retry-After` (about:blank unless `more` names a type): the client did nothing wrong
 * and the same request may succeed after the delay.
 */
export function serviceUnavailable(
  detail: string,
  retryAfterSeconds: number,
  more?: ProblemMore,
): ProblemException {
  return problem(
    HttpStatus.SERVICE_UNAVAILABLE,
    { headers: { 'retry-after': String(retryAfterSeconds) } },
    detail,
    more,
  );
}

/**
 * A 500-class problem of type `internal` with a fixed detail: what went wrong may be internal
 * and is logged, never sent.
 */
export function internalProblem(status = 500): ProblemException {
  return problem(status, { type: ProblemType.internal }, INTERNAL_DETAIL);
}
