import { useSyncExternalStore } from 'react';
import { sessionState, subscribeSession, type SessionState } from '../api/session';

export function useSession(): SessionState {
  return useSyncExternalStore(subscribeSession, sessionState);
}

export type Role =
  | 'admin'
  | 'analyst'
  | 'approver'
  | 'isp_operator'
  | 'isp_client'
  | 'auditor'
  | 'responder'
  | 'unit_officer';

export function hasAnyRole(session: SessionState, roles: readonly Role[]): boolean {
  const mine = session.claims?.roles ?? [];
  return roles.some((role) => mine.includes(role));
}
