import { HttpException, HttpStatus } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';

/** Media type of every error body (RFC 9457 §3). */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/** Problem type URIs (RFC 9457 §3.1.1): URNs, stable identifiers that clients may switch on. */
export const ProblemType = {
  /** Plain HTTP semantics: the title is the status phrase (RFC 9457 §4.2.1). */
  blank: 'about:blank',
  validation: 'urn:threat-exchange:problem:validation',
  malformedBody: 'urn:threat-exchange:problem:malformed-body',
  databaseUnavailable: 'urn:threat-exchange:problem:database-unavailable',
  notReady: 'urn:threat-exchange:problem:not-ready',
  conflict: 'urn:threat-exchange:problem:conflict',
  unauthorized: 'urn:threat-exchange:problem:unauthorized',
  rateLimited: 'urn:threat-exchange:problem:rate-limited',
  internal: 'urn:threat-exchange:problem:internal',
  /** The operation is not allowed in the record's current state (e.g. approving a draft). */
  invalidState: 'urn:threat-exchange:problem:invalid-state',
  /** Publishing would block something on a protected list (and no override covers it). */
  protectedIndicator: 'urn:threat-exchange:problem:protected-indicator',
  /** The approver of a request cannot be the person who submitted it. */
  twoPersonRule: 'urn:threat-exchange:problem:two-person-rule',
  /** The caller's password was reset: only changing it is allowed until then. */
  passwordChangeRequired: 'urn:threat-exchange:problem:password-change-required',
  /** A password change presented a wrong current password (or the account is locked). */
  currentPasswordRejected: 'urn:threat-exchange:problem:current-password-rejected',
} as const;

/** One rejected input field (the `invalid-params` extension of RFC 9457 §3's example). */
export interface InvalidParam {
  /** Dotted path of the field in the request body or query, e.g. `contacts[0].email`. */
  name: string;
  reason: string;
}

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  requestId?: string;
  'invalid-params'?: InvalidParam[];
  [extension: string]: unknown;
}

export interface ProblemInit {
  type?: string;
  title?: string;
  detail?: string;
  /** Extension members (RFC 9457 §3.2). */
  extensions?: Record<string, unknown>;
  /** Response headers the problem needs, e.g. `Retry-After`. */
  headers?: Record<string, string>;
}

export function statusTitle(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}

/**
 * The error every service throws for a client-facing failure. The global filter turns it into
 * an `application/problem+json` response; anything that is not a ProblemException is mapped
 * there once (HTTP exceptions, parser errors, database errors) or becomes an opaque 500.
 */
export class ProblemException extends HttpException {
  readonly type: string;
  readonly title: string;
  readonly detail?: string;
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(status: HttpStatus | number, init: ProblemInit = {}) {
    super(init.detail ?? statusTitle(status), status);
    this.type = init.type ?? ProblemType.blank;
    this.title = init.title ?? statusTitle(status);
    this.detail = init.detail;
    this.extensions = init.extensions ?? {};
    this.headers = init.headers ?? {};
  }

  toProblem(): ProblemDetails {
    return {
      type: this.type,
      title: this.title,
      status: this.getStatus(),
      ...(this.detail === undefined ? {} : { detail: this.detail }),
      ...this.extensions,
    };
  }
}
