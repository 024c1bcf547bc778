import type { ChatStore } from './store';
import { ApiError, type ChangesPage, type HistoryPage, type SyncPage } from './types';

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
  /**
   * Of the conversations of which nothing is held, how many (most recent activity first) get
   * their newest page during the sync; the others load it when opened (the chat list needs
   * only the conversation objects, which carry the last message). Default: all.
   */
  firstPages?: number;
  /** Newest-page requests in flight at once (default 4). */
  firstPagesInFlight?: number;
  /**
   * Called when something the user sees was merged: after each page of conversations (so the
   * chat list is drawn before any message is fetched) and after each newest page.
   */
  onProgress?: () => void;
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
 * The newest page of each of `ids` (conversations of which nothing is held), `inFlight` at a
 * time, each merged as it arrives. A `rate_limited` answer stops the fetching (what is left
 * loads when opened); losing the connection fails the sync (it is repeated).
 */
async function fetchFirstPages(t: SyncTransport, store: ChatStore, ids: number[], opts: SyncOptions): Promise<void> {
  let next = 0;
  let stop = false;
  const worker = async () => {
    while (!stop && next < ids.length) {
      const id = ids[next++];
      let page: HistoryPage;
      try {
        page = await t.history(id, { limit: opts.initialPageSize ?? 50 });
      } catch (e) {
        if (e instanceof ApiError && e.code === 'rate_limited') {
          stop = true;
          return;
        }
        throw e;
      }
      // Another request (the chat opened meanwhile) may have brought messages already: the
      // store drops duplicates, and a page is never a gap.
      store.addMessages(page.messages, { detectGaps: false });
      opts.onProgress?.();
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.firstPagesInFlight ?? 4, ids.length) }, worker));
}

/**
 * One sync round: `sync since=<stored version>` pages, merging each changed conversation;
 * then for each one with messages held locally: `changes since=<stored version>` (the new
 * messages and the edits, deletions and hides of older ones, in one list), falling back to
 * history `after=<local max seq>` for anything still missing. Of those with nothing held
 * yet, the `firstPages` most recently active get their newest history page (older ones load
 * as the user scrolls up; the rest when opened).
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
    opts.onProgress?.();
    const advanced = page.version > cursor;
    cursor = Math.max(cursor, page.version);
    if (!page.has_more || !advanced) break;
  }
  const empty: number[] = [];
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
      empty.push(id);
    } else {
      await catchUp(t, store, id, localMax, opts.historyPageSize ?? 200);
      opts.onProgress?.();
    }
  }
  const activity = (id: number) => store.conversation(id)?.last_activity ?? 0;
  empty.sort((a, b) => activity(b) - activity(a) || b - a);
  await fetchFirstPages(t, store, empty.slice(0, opts.firstPages ?? empty.length), opts);
  return { version: cursor, changed: [...changed] };
}
