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
