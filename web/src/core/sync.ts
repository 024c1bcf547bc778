import type { ChatStore } from './store';
import type { ChangesPage, HistoryPage, SyncPage } from './types';

/** The reads sync needs; the app implements them over the WebSocket. */
export interface SyncTransport {
  sync(since: number, limit: number): Promise<SyncPage>;
  history(conversationId: number, params: { after?: number; before?: number; limit: number }): Promise<HistoryPage>;
  /** New and changed messages of a conversation after a version (edits, deletions, hides). */
  changes?(conversationId: number, since: number, limit: number): Promise<ChangesPage>;
}

export interface SyncOptions {
  pageSize?: number;
  historyPageSize?: number;
  /** Newest messages to fetch for a conversation of which nothing is held locally. */
  initialPageSize?: number;
  changesPageSize?: number;
}

/**
 * Applies every new or changed message of one conversation after version `since`: `changes`
 * pages in version order until the server says there is no more. Returns how many messages
 * the pages held.
 */
export async function applyChangesSince(
  t: SyncTransport,
  store: ChatStore,
  conversationId: number,
  since: number,
  limit = 200,
): Promise<number> {
  if (!t.changes) return 0;
  let cursor = since;
  let total = 0;
  for (;;) {
    const page = await t.changes(conversationId, cursor, limit);
    store.applyChanges(page.messages, { detectGaps: false });
    total += page.messages.length;
    const last = page.messages.reduce((v, m) => Math.max(v, m.version ?? 0), cursor);
    if (!page.has_more || last <= cursor) break;
    cursor = last;
  }
  return total;
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
 * then for each one: when messages are held locally, `changes since=<stored version>` (the
 * new messages and the edits, deletions and hides of older ones, in one list), falling back
 * to history `after=<local max seq>` for anything still missing; when nothing is held yet,
 * the newest history page (older ones load as the user scrolls up).
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
    let localMax = store.maxSeq(id);
    if (localMax > 0 && since > 0 && t.changes) {
      await applyChangesSince(t, store, id, since, opts.changesPageSize ?? 200);
      localMax = store.maxSeq(id);
    }
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
