import type { Role } from '../../auth/useSession';

/**
 * Who sees each response screen: the roles docs/access-matrix.json allows on the routes it calls
 * (kept free of React so that web/src/routes.tsx stays small).
 */

/** Who reads cases (GET /cases) and who acts on them. */
export const CASE_READERS: Role[] = [
  'admin',
  'analyst',
  'approver',
  'auditor',
  'responder',
  'unit_officer',
];
export const CASE_ACTORS: Role[] = ['responder', 'unit_officer'];
/** Who files incident reports (POST /incidents; isp_client is a machine, not a console user). */
export const INCIDENT_REPORTERS: Role[] = [
  'admin',
  'analyst',
  'approver',
  'isp_operator',
  'responder',
  'unit_officer',
];
export const INCIDENT_READERS: Role[] = [...INCIDENT_REPORTERS, 'auditor'];
/** Units: read by the Department's roles and auditors, changed by admins and responders. */
export const UNIT_READERS: Role[] = ['admin', 'analyst', 'approver', 'auditor', 'responder'];
export const UNIT_EDITORS: Role[] = ['admin', 'responder'];
export const PUBLISHED_READERS: Role[] = ['admin', 'analyst', 'approver', 'auditor', 'responder'];
export const MAIL_READERS: Role[] = ['admin', 'responder'];
