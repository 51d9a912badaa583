/** Who is signed in (GET /me), shared by every view; the permission helper reads it. */
import { reactive } from 'vue';
import { api, ApiError, setCsrfToken, type Answer } from '../api/client';

export type Me = Answer<'/me'>;
export type Role = 'committee' | 'secretary' | 'inspector' | 'auditor' | 'member';

export const session = reactive<{ me: Me | null; loaded: boolean }>({ me: null, loaded: false });

/** Reads GET /me once (or again with force); null when nobody is signed in. */
export async function loadMe(force = false): Promise<Me | null> {
  if (session.loaded && !force) return session.me;
  try {
    const me = await api.get('/me');
    session.me = me;
    setCsrfToken(me.csrfToken);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) throw error;
    session.me = null;
    setCsrfToken(null);
  }
  session.loaded = true;
  return session.me;
}

export function signedOut(): void {
  session.me = null;
  session.loaded = true;
  setCsrfToken(null);
}

export function role(): Role | null {
  return (session.me?.role as Role | undefined) ?? null;
}
