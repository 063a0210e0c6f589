/** The roles of the product brief; which organization kind may hold each. */
export const ROLES = [
  'admin',
  'analyst',
  'approver',
  'isp_operator',
  'isp_client',
  'auditor',
  'responder',
  'unit_officer',
] as const;
export type Role = (typeof ROLES)[number];

/** The roles a person (a user, not an API client) may hold. */
export const PERSON_ROLES = [
  'admin',
  'analyst',
  'approver',
  'isp_operator',
  'auditor',
  'responder',
  'unit_officer',
] as const satisfies readonly Role[];

/**
 * `unit`: a commune, district office or agency of the province whose networks may have
 * connections to botnets (docs/units-and-incidents.md); not an ISP.
 */
export const ORGANIZATION_KINDS = ['department', 'isp', 'authority', 'unit'] as const;
export type OrganizationKind = (typeof ORGANIZATION_KINDS)[number];

/** Roles a person may hold in each kind of organization (`isp_client` is for API clients only). */
export const USER_ROLES_BY_KIND: Record<OrganizationKind, readonly Role[]> = {
  department: ['admin', 'analyst', 'approver', 'responder'],
  isp: ['isp_operator'],
  authority: ['auditor'],
  unit: ['unit_officer'],
};

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
