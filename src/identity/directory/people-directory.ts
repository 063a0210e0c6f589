import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Role } from '#src/identity/auth/roles.js';

/** Who an e-mail address belongs to: a person (and their organization), or an organization's contact address. */
export interface AddressOwner {
  organizationId: string;
  organizationKind: string;
  /** The person, when the address is an enabled user's; null for an organization's contact address. */
  userId: string | null;
}

/**
 * The directory other contexts ask for addresses: whom to e-mail about an organization, and who
 * sent a mail. Reads `users` and `organizations` (identity's tables) only.
 */
@Injectable()
export class PeopleDirectory {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * The addresses to notify about an organization: its contact e-mail and its enabled people's
   * (only those holding one of `roles`, when given); lower-case, without duplicates.
   */
  async emailsOf(
    organizationId: string,
    roles?: readonly Role[],
    manager?: EntityManager,
  ): Promise<string[]> {
    const rows = await (manager ?? this.dataSource).query<{ email: string }[]>(
      `SELECT lower(contacts->>'email') AS email FROM organizations
        WHERE id = $1 AND coalesce(contacts->>'email', '') <> ''
       UNION
       SELECT lower(email) FROM users
        WHERE organization_id = $1 AND NOT disabled AND ($2::text[] IS NULL OR roles && $2::text[])`,
      [organizationId, roles ? [...roles] : null],
    );
    return rows.map((r) => r.email).sort();
  }

  /** The enabled people holding one of `roles` in organizations of `kind` (e.g. the Department's responders). */
  async emailsByRole(
    kind: string,
    roles: readonly Role[],
    manager?: EntityManager,
  ): Promise<string[]> {
    const rows = await (manager ?? this.dataSource).query<{ email: string }[]>(
      `SELECT DISTINCT lower(u.email) AS email FROM users u JOIN organizations o ON o.id = u.organization_id
        WHERE o.kind = $1 AND NOT u.disabled AND u.roles && $2::text[] ORDER BY 1`,
      [kind, [...roles]],
    );
    return rows.map((r) => r.email);
  }

  /**
   * Who owns an address (case-insensitive): an enabled person first, else an organization's
   * contact address (when several organizations share it, none: the sender is ambiguous).
   */
  async ownerOf(address: string, manager?: EntityManager): Promise<AddressOwner | null> {
    const q = manager ?? this.dataSource;
    const email = address.trim().toLowerCase();
    const people = await q.query<{ user_id: string; organization_id: string; kind: string }[]>(
      `SELECT u.id AS user_id, u.organization_id, o.kind FROM users u
         JOIN organizations o ON o.id = u.organization_id
        WHERE lower(u.email) = $1 AND NOT u.disabled LIMIT 2`,
      [email],
    );
    if (people.length === 1) {
      const p = people[0];
      return { organizationId: p.organization_id, organizationKind: p.kind, userId: p.user_id };
    }
    const orgs = await q.query<{ id: string; kind: string }[]>(
      `SELECT id, kind FROM organizations WHERE lower(contacts->>'email') = $1 LIMIT 2`,
      [email],
    );
    if (orgs.length === 1) {
      return { organizationId: orgs[0].id, organizationKind: orgs[0].kind, userId: null };
    }
    return null;
  }
}
