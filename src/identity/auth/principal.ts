import type { OrganizationKind, Role } from '#src/identity/auth/roles.js';

/** Who is calling: a person (user) or an ISP machine (API client), from a verified token. */
export interface Principal {
  kind: 'user' | 'client';
  /** User id or API client id (the token's `sub`). */
  id: string;
  organizationId: string;
  organizationKind: OrganizationKind;
  roles: Role[];
  /** The token's `jti`, for logs and audit. */
  tokenId: string;
  /**
   * A person whose administrator reset their password and who has not changed it since: the
   * AccessGuard lets them call only the routes of @PasswordChange (docs/auth.md).
   */
  passwordChangeRequired?: true;
}

/** How a principal is recorded in actor_type columns (audit events, pulls, confirmations, …). */
export type ActorType = 'user' | 'api_client';

export function actorType(principal: Pick<Principal, 'kind'>): ActorType {
  return principal.kind === 'user' ? 'user' : 'api_client';
}

/**
 * An operator at the service's command line (`threat-exchange org:add-isp`, `user:add`): someone
 * who holds the database's credentials and so could change anything. No token, no role check;
 * the audit trail records the change as the system's, its summary saying `via: "command-line"`.
 */
export const COMMAND_LINE = 'command-line';

/** Who asks an administrative service for a change: a caller of the API, or the command line. */
export type Caller = Principal | typeof COMMAND_LINE;

/** The actor and the summary fields that record `caller` in an audit event. */
export function auditedCaller(caller: Caller): {
  actor: Principal | 'system';
  via: { via?: typeof COMMAND_LINE };
} {
  return caller === COMMAND_LINE
    ? { actor: 'system', via: { via: COMMAND_LINE } }
    : { actor: caller, via: {} };
}
