import { describe, expect, it } from 'vitest';
import { ChatStore } from '../src/core/store';
import { runSync, type SyncTransport } from '../src/core/sync';
import { ApiError, type Conversation, type HistoryPage, type Message, type SyncPage } from '../src/core/types';
import { ALICE, conv, msg } from './helpers';

/**
 * A server of `chats` conversations (id 1 the least recently active), each with `perChat`
 * messages, whose history answers wait until the test lets them go: so the test sees how
 * many are in flight at once, in which order they were asked for, and what the store held
 * meanwhile.
 */
class SlowServer implements SyncTransport {
  convs: Conversation[] = [];
  msgs = new Map<number, Message[]>();
  asked: number[] = [];
  waiting: (() => void)[] = [];
  inFlight = 0;
  maxInFlight = 0;
  failWith: ((id: number) => ApiError | undefined) | undefined;

  constructor(chats: number, perChat: number) {
    for (let id = 1; id <= chats; id++) {
      const list = Array.from({ length: perChat }, (_, i) => msg(id, i + 1));
      this.msgs.set(id, list);
      this.convs.push(conv(id, perChat));
    }
  }

  async sync(since: number, limit: number): Promise<SyncPage> {
    const changed = this.convs.filter((c) => c.version > since).sort((a, b) => a.version - b.version);
    const page = changed.slice(0, limit);
    const has_more = changed.length > limit;
    return { version: page.length ? page[page.length - 1].version : since, has_more, conversations: structuredClone(page) };
  }

  async history(id: number, p: { after?: number; before?: number; limit: number }): Promise<HistoryPage> {
    this.asked.push(id);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.inFlight--;
    const err = this.failWith?.(id);
    if (err) throw err;
    const all = this.msgs.get(id) ?? [];
    const rest = p.after !== undefined ? all.filter((m) => m.seq > p.after!) : all.slice(-p.limit);
    return { messages: structuredClone(rest.slice(0, p.limit)), has_more: false };
  }

  /** Answers every request waiting, and the ones they lead to, until the sync is done. */
  async drain(done: Promise<unknown>): Promise<void> {
    let finished = false;
    void done.finally(() => (finished = true)).catch(() => undefined);
    while (!finished) {
      const w = this.waiting.splice(0);
      for (const r of w) r();
      await new Promise((r) => setTimeout(r, 0));
    }
  }
}

describe('runSync on a new device with many chats', () => {
  it('draws the chat list before any message page is asked for', async () => {
    const srv = new SlowServer(30, 3);
    const s = new ChatStore(ALICE.id);
    const seen: { chats: number; asked: number }[] = [];
    const done = runSync(srv, s, 0, { pageSize: 10, onProgress: () => seen.push({ chats: s.conversations().length, asked: srv.asked.length }) });
    await srv.drain(done);
    await done;
    // One report per page of conversations, each before any history request.
    expect(seen.slice(0, 3)).toEqual([{ chats: 10, asked: 0 }, { chats: 20, asked: 0 }, { chats: 30, asked: 0 }]);
    // Then one per page merged: every chat got its newest messages (no limit given).
    expect(seen.length).toBe(3 + 30);
    for (let id = 1; id <= 30; id++) expect(s.messages(id).map((m) => m.seq)).toEqual([1, 2, 3]);
  });

  it('fetches the newest page of only the most recently active chats, a few at a time', async () => {
    const srv = new SlowServer(40, 2);
    const s = new ChatStore(ALICE.id);
    const done = runSync(srv, s, 0, { firstPages: 5, firstPagesInFlight: 3 });
    await srv.drain(done);
    const r = await done;
    expect(r.changed.length).toBe(40);
    // Most recent activity first (conv(id) is more recent the higher its id).
    expect(srv.asked).toEqual([40, 39, 38, 37, 36]);
    expect(srv.maxInFlight).toBe(3);
    expect(s.messages(36).length).toBe(2);
    // The others: in the list with their last message, no messages held (fetched when opened).
    expect(s.messages(35)).toEqual([]);
    expect(s.conversation(35)?.last_message?.seq).toBe(2);
    expect(s.unread(35)).toBe(2);
  });

  it('still catches up every chat it holds messages of, whatever the first-page limit', async () => {
    const srv = new SlowServer(6, 4);
    const s = new ChatStore(ALICE.id);
    // Held before: chats 1 and 2 up to seq 2.
    s.upsertConversation(conv(1, 2));
    s.upsertConversation(conv(2, 2));
    s.addMessages([msg(1, 1), msg(1, 2), msg(2, 1), msg(2, 2)]);
    const done = runSync(srv, s, 0, { firstPages: 1 });
    await srv.drain(done);
    await done;
    expect(s.messages(1).map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    expect(s.messages(2).map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    // Of the four with nothing held, only the most recent (6).
    expect(s.messages(6).length).toBe(4);
    expect(s.messages(5)).toEqual([]);
  });

  it('a rate-limited first page stops the first pages without failing the sync', async () => {
    const srv = new SlowServer(10, 1);
    srv.failWith = (id) => (id === 8 ? new ApiError('rate_limited', 'slow down', 0, 1000) : undefined);
    const s = new ChatStore(ALICE.id);
    const done = runSync(srv, s, 0, { firstPagesInFlight: 1 });
    await srv.drain(done);
    const r = await done;
    expect(r.changed.length).toBe(10);
    expect(srv.asked).toEqual([10, 9, 8]);
    expect(s.messages(9).length).toBe(1);
    expect(s.messages(7)).toEqual([]);
  });

  it('a lost connection while fetching first pages fails the sync (it is repeated from the old cursor)', async () => {
    const srv = new SlowServer(4, 1);
    srv.failWith = (id) => (id === 3 ? new ApiError('disconnected', 'gone') : undefined);
    const s = new ChatStore(ALICE.id);
    const done = runSync(srv, s, 0, { firstPagesInFlight: 1 });
    await srv.drain(done);
    await expect(done).rejects.toMatchObject({ code: 'disconnected' });
  });
});
