import type { ChatStore } from './store';
import type { HistoryPage, SyncPage } from './types';

/** The two reads sync needs; the app implements them over the WebSocket. */
export interface SyncTransport {
  sync(since: number, limit: number): Promise<SyncPage>;
  history(conversationId: number, params: { after?: number; before?: number; limit: number }): Promise<HistoryPage>;
}

export interface SyncOptions {
  pageSize?: number;
  historyPageSize?: number;
  /** Newest messages to fetch for a conversation of which nothing is held locally. */
  initialPageSize?: number;
}

/**
 * Fills the gap after `after` in one conversation: history `after=` pages, oldest first,
 * until the server says there is no more.
 */
export async function catchUp(
  t: SyncTransport,
  store: ChatStore,
  conversationId: number,
  after: number,
  limit = 200,
): Promise<number> {
  let cursor = after;
  let total = 0;
  for (;;) {
    const page = await t.history(conversationId, { after: cursor, limit });
    store.addMessages(page.messages, { detectGaps: false });
    total += page.messages.length;
    const last = page.messages.reduce((m, x) => Math.max(m, x.seq), cursor);
    if (!page.has_more || last <= cursor) break;
    cursor = last;
  }
  return total;
}

/**
 * One sync round: `sync since=<stored version>` pages, merging each changed conversation;
 * then for each one with messages beyond what is held locally, history `after=<local max seq>`
 * (or the newest page when nothing is held yet: older ones load as the user scrolls up).
 * Returns the version to store; the caller stores it only after this resolved, so an
 * interrupted sync is repeated from the old cursor.
 */
export async function runSync(
  t: SyncTransport,
  store: ChatStore,
  since: number,
  opts: SyncOptions = {},
): Promise<{ version: number; changed: number[] }> {
  const pageSize = opts.pageSize ?? 100;
  const changed = new Set<number>();
  let cursor = since;
  for (;;) {
    const page = await t.sync(cursor, pageSize);
    for (const c of page.conversations) {
      store.upsertConversation(c);
      changed.add(c.id);
    }
    const advanced = page.version > cursor;
    cursor = Math.max(cursor, page.version);
    if (!page.has_more || !advanced) break;
  }
  for (const id of changed) {
    const c = store.conversation(id);
    if (!c) continue;
    const localMax = store.maxSeq(id);
    if (c.last_seq <= localMax) continue;
    if (localMax === 0) {
      const page = await t.history(id, { limit: opts.initialPageSize ?? 50 });
      store.addMessages(page.messages, { detectGaps: false });
    } else {
      await catchUp(t, store, id, localMax, opts.historyPageSize ?? 200);
    }
  }
  return { version: cursor, changed: [...changed] };
}
