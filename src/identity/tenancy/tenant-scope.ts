import { HttpStatus } from '@nestjs/common';
import type { Principal } from '#src/identity/auth/principal.js';
import { ProblemException } from '#src/platform/problem/problem.js';

/**
 * Which organizations' records a caller may see: an ISP (its operators and clients) only its
 * own; the Department and authorities all. Services get it from `tenantScope()` at the top of
 * each method; repositories filter by it.
 */
export interface TenantScope {
  /** Set: only this organization's records. Unset: every organization's. */
  organizationId?: string;
}

export function tenantScope(principal: Principal): TenantScope {
  return principal.organizationKind === 'isp' ? { organizationId: principal.organizationId } : {};
}

/** The one answer for a record that does not exist or that the caller may not see. */
export function notFound(what: string): ProblemException {
  return new ProblemException(HttpStatus.NOT_FOUND, { detail: `No such ${what}` });
}

/**
 * The record if the caller's scope covers its organization; otherwise 404, exactly as for a
 * record that does not exist (another ISP's data is invisible, not forbidden).
 */
export function visibleOr404<T>(
  scope: TenantScope,
  record: T | null,
  what: string,
  organizationOf: (r: T) => string,
): T {
  if (!record) throw notFound(what);
  if (scope.organizationId !== undefined && organizationOf(record) !== scope.organizationId) {
    throw notFound(what);
  }
  return record;
}
