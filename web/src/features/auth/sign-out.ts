import { api } from '../../api/client';
import { endSession, refreshTokenForLogout } from '../../api/session';

/** Revokes the session at the API (its refresh-token family), then forgets the tokens. */
export async function signOut(): Promise<void> {
  const refresh = refreshTokenForLogout();
  if (refresh)
    await api
      .POST('/api/v1/auth/logout', { body: { refresh_token: refresh } })
      .catch(() => undefined);
  endSession('signed-out');
}
