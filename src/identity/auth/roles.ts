/** The roles of the product brief; which organization kind may hold each. */
export const ROLES = [
  'admin',
  'analyst',
  'approver',
  'isp_operator',
  'isp_client',
  'auditor',
] as const;
export type Role = (typeof ROLES)[number];

/** The roles a person (a user, not an API client) may hold. */
export const PERSON_ROLES = [
  'admin',
  'analyst',
  'approver',
  'isp_operator',
  'auditor',
] as const satisfies readonly Role[];

export const ORGANIZATION_KINDS = ['department', 'isp', 'authority'] as const;
export type OrganizationKind = (typeof ORGANIZATION_KINDS)[number];

/** Roles a person may hold in each kind of organization (`isp_client` is for API clients only). */
export const USER_ROLES_BY_KIND: Record<OrganizationKind, readonly Role[]> = {
  department: ['admin', 'analyst', 'approver'],
  isp: ['isp_operator'],
  authority: ['auditor'],
};

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
