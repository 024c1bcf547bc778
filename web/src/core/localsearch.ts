import type { Conversation, Message, SearchResult, SearchSegment } from './types';

/** Lower case without diacritics, as the server's search folds them. */
export function fold(s: string): string {
  return s.normalize('NFD').replace(/\p{M}+/gu, '').toLowerCase();
}

/** The query's words, folded (at most 16, as the server uses). */
export function words(query: string): string[] {
  return fold(query).split(/[^\p{L}\p{N}]+/u).filter(Boolean).slice(0, 16);
}

/** Chats whose shown name (or the peer's username) contains the query, in the given order. */
export function matchChats(convs: readonly Conversation[], query: string, nameOf: (c: Conversation) => string): Conversation[] {
  const q = fold(query.trim());
  if (!q) return [];
  return convs.filter((c) => fold(nameOf(c)).includes(q) || (c.peer ? fold(c.peer.username).includes(q) : false));
}

/**
 * Search over the messages this device holds (offline): every word of the query must start
 * a word of the text (the last one as a prefix too); newest first, at most `limit`. The
 * snippet marks the matching words as the server's does.
 */
export function searchHeld(messages: readonly Message[], query: string, limit = 50): SearchResult[] {
  const want = words(query);
  if (!want.length) return [];
  const out: SearchResult[] = [];
  const sorted = [...messages].sort((a, b) => b.ts - a.ts || b.seq - a.seq);
  for (const m of sorted) {
    if (out.length >= limit) break;
    if (m.deleted || m.hidden || (m.kind !== 'text' && m.kind !== 'image') || !m.text) continue;
    const tokens = [...m.text.matchAll(/[\p{L}\p{N}]+/gu)];
    const folded = tokens.map((t) => fold(t[0]));
    const hit = want.every((w) => folded.some((t) => t.startsWith(w)));
    if (!hit) continue;
    const segments: SearchSegment[] = [];
    let at = 0;
    tokens.forEach((t, i) => {
      if (!want.some((w) => folded[i].startsWith(w))) return;
      const start = t.index ?? 0;
      if (start > at) segments.push({ text: m.text.slice(at, start) });
      segments.push({ text: t[0], match: true });
      at = start + t[0].length;
    });
    if (at < m.text.length) segments.push({ text: m.text.slice(at) });
    out.push({ message: m, snippet: segments });
  }
  return out;
}
