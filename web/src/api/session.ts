import type { paths } from './schema.gen';

/**
 * The signed-in person's tokens, outside React (the API client reads them on every call).
 *
 * The access token lives only in this module's memory. The refresh token (single use, rotated
 * at every renewal) lives in sessionStorage: only this origin's pages can read it, it survives
 * a reload of the tab and goes with the tab. The CSP (src/app/console) allows no script but
 * the console's own, so no other code runs here to read either.
 */
export interface Claims {
  sub: string;
  org: string;
  /** department, isp or authority */
  org_kind: string;
  roles: string[];
  exp: number;
  /** The session (refresh-token family). */
  sid?: string;
}

export interface SessionState {
  accessToken: string | null;
  claims: Claims | null;
  passwordChangeRequired: boolean;
  /** Why the last session ended, for the sign-in screen ("expired"). */
  ended: 'signed-out' | 'expired' | null;
}

interface TokenAnswer {
  access_token: string;
  expires_in: number;
  refresh_token?: string;
  passwordChangeRequired?: boolean;
}

const REFRESH_KEY = 'threat-exchange.refresh';
/** Called with fetch directly (the API client's retry-on-401 goes through here). */
const REFRESH_PATH = '/api/v1/auth/refresh' satisfies keyof paths;
let state: SessionState = {
  accessToken: null,
  claims: null,
  passwordChangeRequired: false,
  ended: null,
};
const listeners = new Set<() => void>();
let renewTimer: ReturnType<typeof setTimeout> | undefined;
let refreshing: Promise<boolean> | null = null;

export function sessionState(): SessionState {
  return state;
}

export function subscribeSession(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function set(next: SessionState): void {
  state = next;
  for (const listener of listeners) listener();
}

/** The JWT's payload, read (not verified: the API verifies) for what the console shows. */
export function decodeClaims(token: string): Claims {
  const payload = token.split('.')[1] ?? '';
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes)) as Claims;
}

/** Adopts a token answer (login, refresh): renewal is scheduled at 80 % of its life. */
export function adoptTokens(answer: TokenAnswer): void {
  if (answer.refresh_token) sessionStorage.setItem(REFRESH_KEY, answer.refresh_token);
  clearTimeout(renewTimer);
  const lifeMs = Math.max(10, answer.expires_in) * 1000;
  renewTimer = setTimeout(() => void refreshSession(), lifeMs * 0.8);
  set({
    accessToken: answer.access_token,
    claims: decodeClaims(answer.access_token),
    passwordChangeRequired: answer.passwordChangeRequired === true,
    ended: null,
  });
}

export function hasRefreshToken(): boolean {
  return sessionStorage.getItem(REFRESH_KEY) !== null;
}

/**
 * Exchanges the refresh token for a new pair, once at a time (concurrent 401s share it).
 * Resolves false, and ends the session, when the token is gone, used or revoked.
 */
export function refreshSession(): Promise<boolean> {
  refreshing ??= (async () => {
    const token = sessionStorage.getItem(REFRESH_KEY);
    if (!token) return false;
    try {
      const response = await fetch(REFRESH_PATH, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refresh_token: token }),
      });
      // Refused (used, revoked or expired: 400/401): the session is over. Anything else (a
      // 429, a 5xx) is not an answer about the session: keep it and let the caller retry.
      if (response.status === 400 || response.status === 401) {
        endSession('expired');
        return false;
      }
      if (!response.ok) return false;
      adoptTokens((await response.json()) as TokenAnswer);
      return true;
    } catch {
      return false;
    }
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

/** Forgets the tokens; `signOut` (auth feature) also revokes them at the API first. */
export function endSession(reason: SessionState['ended']): void {
  clearTimeout(renewTimer);
  sessionStorage.removeItem(REFRESH_KEY);
  // Signed out: whoever signs in next starts at their own first screen, not at this person's
  // page. An expired session keeps the address, for the same person to sign in again.
  if (reason === 'signed-out') window.history.replaceState(null, '', '/');
  set({ accessToken: null, claims: null, passwordChangeRequired: false, ended: reason });
}

export function refreshTokenForLogout(): string | null {
  return sessionStorage.getItem(REFRESH_KEY);
}
