import type { ComponentType } from 'react';
import type { Role } from './auth/useSession';
import {
  CASE_READERS,
  INCIDENT_READERS,
  INCIDENT_REPORTERS,
  MAIL_READERS,
  PUBLISHED_READERS,
  UNIT_READERS,
} from './features/response/roles';

/**
 * Every screen of the console, who sees it (the roles of docs/access-matrix.md that may call
 * the routes it uses) and its place in the menu. Screens load on first use (one chunk each).
 */
export interface Screen {
  path: string;
  roles: readonly Role[];
  /** The menu label (key of web/src/layout/messages.ts); absent: reached from another screen. */
  nav?: NavKey;
  load: () => Promise<{ default: ComponentType }>;
}

export type NavKey =
  | 'dashboard'
  | 'requests'
  | 'newRequest'
  | 'approvals'
  | 'indicators'
  | 'imports'
  | 'protectedCheck'
  | 'compliance'
  | 'assignments'
  | 'feed'
  | 'sightings'
  | 'webhooks'
  | 'audit'
  | 'auditVerify'
  | 'auditExport'
  | 'organizations'
  | 'users'
  | 'apiClients'
  | 'protectedLists'
  | 'cases'
  | 'incidents'
  | 'newIncident'
  | 'units'
  | 'published'
  | 'mail'
  | 'responseTeam';

const DEPARTMENT: Role[] = ['admin', 'analyst', 'approver', 'auditor'];

export const SCREENS: Screen[] = [
  {
    path: '/dashboard',
    roles: ['analyst', 'approver', 'admin'],
    nav: 'dashboard',
    load: () => import('./features/analyst/Dashboard'),
  },
  {
    path: '/requests',
    roles: DEPARTMENT,
    nav: 'requests',
    load: () => import('./features/requests/Requests'),
  },
  {
    path: '/requests/new',
    roles: ['analyst'],
    nav: 'newRequest',
    load: () => import('./features/analyst/RequestEditor'),
  },
  {
    path: '/requests/:id',
    roles: DEPARTMENT,
    load: () => import('./features/requests/RequestDetail'),
  },
  {
    path: '/requests/:id/edit',
    roles: ['analyst'],
    load: () => import('./features/analyst/RequestEditor'),
  },
  {
    path: '/approvals',
    roles: ['approver'],
    nav: 'approvals',
    load: () => import('./features/requests/Approvals'),
  },
  {
    path: '/indicators',
    roles: ['admin', 'analyst', 'approver', 'auditor'],
    nav: 'indicators',
    load: () => import('./features/analyst/Indicators'),
  },
  {
    path: '/imports',
    roles: ['analyst'],
    nav: 'imports',
    load: () => import('./features/analyst/Imports'),
  },
  {
    path: '/protected-check',
    roles: ['analyst', 'approver'],
    nav: 'protectedCheck',
    load: () => import('./features/analyst/ProtectedCheck'),
  },
  {
    path: '/compliance',
    roles: DEPARTMENT,
    nav: 'compliance',
    load: () => import('./features/compliance/Compliance'),
  },
  {
    path: '/assignments',
    roles: ['isp_operator'],
    nav: 'assignments',
    load: () => import('./features/isp/Assignments'),
  },
  {
    path: '/assignments/:id',
    roles: ['isp_operator'],
    load: () => import('./features/isp/AssignmentDetail'),
  },
  {
    path: '/feed',
    roles: ['isp_operator'],
    nav: 'feed',
    load: () => import('./features/isp/FeedStatus'),
  },
  {
    path: '/sightings',
    roles: ['isp_operator'],
    nav: 'sightings',
    load: () => import('./features/isp/Sightings'),
  },
  {
    path: '/webhooks',
    roles: ['isp_operator'],
    nav: 'webhooks',
    load: () => import('./features/isp/Webhooks'),
  },
  {
    path: '/audit',
    roles: ['auditor', 'admin'],
    nav: 'audit',
    load: () => import('./features/audit/AuditSearch'),
  },
  {
    path: '/audit/verify',
    roles: ['auditor', 'admin'],
    nav: 'auditVerify',
    load: () => import('./features/audit/AuditVerify'),
  },
  {
    path: '/audit/export',
    roles: ['auditor', 'admin'],
    nav: 'auditExport',
    load: () => import('./features/audit/AuditExport'),
  },
  {
    path: '/admin/organizations',
    roles: ['admin'],
    nav: 'organizations',
    load: () => import('./features/admin/Organizations'),
  },
  {
    path: '/admin/users',
    roles: ['admin'],
    nav: 'users',
    load: () => import('./features/admin/Users'),
  },
  {
    path: '/admin/api-clients',
    roles: ['admin'],
    nav: 'apiClients',
    load: () => import('./features/admin/ApiClients'),
  },
  {
    path: '/admin/protected-lists',
    roles: ['admin', 'analyst', 'approver', 'auditor'],
    nav: 'protectedLists',
    load: () => import('./features/admin/ProtectedLists'),
  },
  {
    path: '/cases',
    roles: CASE_READERS,
    nav: 'cases',
    load: () => import('./features/response/Cases'),
  },
  {
    path: '/cases/:id',
    roles: CASE_READERS,
    load: () => import('./features/response/CaseDetail'),
  },
  {
    path: '/incidents',
    roles: INCIDENT_READERS,
    nav: 'incidents',
    load: () => import('./features/response/Incidents'),
  },
  {
    path: '/incidents/new',
    roles: INCIDENT_REPORTERS,
    nav: 'newIncident',
    load: () => import('./features/response/IncidentNew'),
  },
  {
    path: '/incidents/:id',
    roles: INCIDENT_READERS,
    load: () => import('./features/response/IncidentDetail'),
  },
  {
    path: '/units',
    roles: UNIT_READERS,
    nav: 'units',
    load: () => import('./features/response/Units'),
  },
  {
    path: '/units/:id',
    roles: UNIT_READERS,
    load: () => import('./features/response/UnitDetail'),
  },
  {
    path: '/published',
    roles: PUBLISHED_READERS,
    nav: 'published',
    load: () => import('./features/response/PublishedList'),
  },
  {
    path: '/mail',
    roles: MAIL_READERS,
    nav: 'mail',
    load: () => import('./features/response/MailQuarantine'),
  },
  {
    path: '/mail/:id',
    roles: MAIL_READERS,
    load: () => import('./features/response/MailDetail'),
  },
  {
    path: '/response-team',
    roles: ['admin', 'responder'],
    nav: 'responseTeam',
    load: () => import('./features/response-team/ResponseTeamEdit'),
  },
];

/** Where a person lands after signing in: the first screen of their menu. */
export function homeFor(roles: readonly string[]): string {
  const first = SCREENS.find((s) => s.nav && s.roles.some((r) => roles.includes(r)));
  return first?.path ?? '/signed-in';
}
