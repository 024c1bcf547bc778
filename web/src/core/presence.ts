import { clockTime, shortDate } from './format';

/** What the server last told about one user (live only, never stored). */
export interface Presence {
  online: boolean;
  /** ms since the epoch; null while online, when never seen, or when hidden. */
  last_seen: number | null;
}

export const MAX_PRESENCE_SUBSCRIPTION = 256;

/**
 * The line under a direct chat's name: "online", "last seen today at 14:05",
 * "last seen yesterday at 09:12", "last seen 12/11/2026"; '' when unknown or hidden.
 */
export function lastSeenText(p: Presence | undefined, now: number = Date.now(), locale?: string): string {
  if (!p) return '';
  if (p.online) return 'online';
  if (p.last_seen === null || p.last_seen === undefined || !Number.isFinite(p.last_seen) || p.last_seen <= 0) return '';
  const n = new Date(now);
  const startOfToday = new Date(n.getFullYear(), n.getMonth(), n.getDate()).getTime();
  const startOfYesterday = new Date(n.getFullYear(), n.getMonth(), n.getDate() - 1).getTime();
  const ts = p.last_seen;
  // A clock slightly ahead of ours still counts as today.
  if (ts >= startOfToday) return `last seen today at ${clockTime(ts, locale)}`;
  if (ts >= startOfYesterday) return `last seen yesterday at ${clockTime(ts, locale)}`;
  return `last seen ${shortDate(ts, locale)}`;
}

/**
 * Whose presence to subscribe to: the open chat's peer first, then the peers of the visible
 * direct chats, without duplicates or oneself, at most 256, in a stable (ascending) order so
 * that the same set always compares equal.
 */
export function presenceSubscription(openPeer: number | null | undefined, visiblePeers: Iterable<number>, me: number): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  const add = (id: number | null | undefined) => {
    if (typeof id !== 'number' || !Number.isInteger(id) || id <= 0 || id === me || seen.has(id)) return;
    if (out.length >= MAX_PRESENCE_SUBSCRIPTION) return;
    seen.add(id);
    out.push(id);
  };
  add(openPeer);
  for (const id of visiblePeers) add(id);
  return out.sort((a, b) => a - b);
}

export function sameIds(a: readonly number[] | null, b: readonly number[]): boolean {
  if (!a || a.length !== b.length) return false;
  return a.every((x, i) => x === b[i]);
}
