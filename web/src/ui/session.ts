import type { Session } from '../platform/client';

const KEY = 'parley.session';

export function loadSession(): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Session;
    if (typeof s?.token === 'string' && typeof s?.user?.id === 'number') return s;
  } catch {
    /* ignore */
  }
  return null;
}

export function saveSession(s: Session | null): void {
  if (s) localStorage.setItem(KEY, JSON.stringify(s));
  else localStorage.removeItem(KEY);
}
