import type { Principal } from '#src/identity/auth/principal.js';
import { notFound } from '#src/platform/problem/index.js';

/**
 * Which organizations' records a caller may see: an ISP (its operators and clients) and a unit
 * (its officers) only its own; the Department and authorities all. Services get it from `tenantScope()` at the top of
 * each method; repositories filter by it.
 */
export interface TenantScope {
  /** Set: only this organization's records. Unset: every organization's. */
  organizationId?: string;
}

export function tenantScope(principal: Principal): TenantScope {
  return principal.organizationKind === 'isp' || principal.organizationKind === 'unit'
    ? { organizationId: principal.organizationId }
    : {};
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
