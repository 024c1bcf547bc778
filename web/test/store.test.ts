import { describe, expect, it } from 'vitest';
import { ChatStore } from '../src/core/store';
import { runSync, type SyncTransport } from '../src/core/sync';
import type { Conversation, HistoryPage, Message, SyncPage } from '../src/core/types';
import { ALICE, BOB, conv, msg } from './helpers';

describe('ChatStore merge', () => {
  it('is idempotent on conversation_id + seq', () => {
    const s = new ChatStore(ALICE.id);
    s.upsertConversation(conv(7, 0));
    const first = s.addMessages([msg(7, 1), msg(7, 2)]);
    expect(first.added).toHaveLength(2);
    const again = s.addMessages([msg(7, 2), msg(7, 1), { ...msg(7, 1), text: 'changed' }]);
    expect(again.added).toHaveLength(0);
    expect(s.messages(7).map((m) => [m.seq, m.text])).toEqual([
      [1, 'm1'],
      [2, 'm2'],
    ]);
  });

  it('messages() keeps answering with the current messages in seq order as they are added, edited and hidden', () => {
    const s = new ChatStore(ALICE.id);
    s.upsertConversation(conv(7, 0));
    s.upsertConversation(conv(8, 0));
    s.addMessages([msg(7, 5), msg(7, 6)]);
    const first = s.messages(7);
    expect(s.messages(7)).toBe(first); // unchanged: the same answer, not sorted again
    s.addMessages([msg(7, 3), msg(7, 4)]); // an older page
    expect(s.messages(7).map((m) => m.seq)).toEqual([3, 4, 5, 6]);
    s.addMessages([msg(8, 1)]); // another chat: this one's answer stays
    const again = s.messages(7);
    expect(s.messages(7)).toBe(again);
    s.applyChanges([{ ...msg(7, 4), text: 'edited', edited_at: 1, version: 99 }]);
    expect(s.messages(7).find((m) => m.seq === 4)!.text).toBe('edited');
    s.applyHidden(7, 5, 100);
    expect(s.messages(7).find((m) => m.seq === 5)!.hidden).toBe(true);
    expect(s.messages(8).map((m) => m.seq)).toEqual([1]);
    // Older, newer and in-between messages in one batch are merged into the answer in order.
    s.addMessages([msg(7, 10), msg(7, 1), msg(7, 8), msg(7, 2), msg(7, 7)], { detectGaps: false });
    s.addMessages([msg(7, 9)], { detectGaps: false });
    expect(s.messages(7).map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(s.messages(7).find((m) => m.seq === 4)!.text).toBe('edited');
    expect(s.messages(7)).toBe(s.messages(7));
  });

  it('shows a peer who deleted their account as the server now names them', () => {
    const s = new ChatStore(ALICE.id);
    s.upsertConversation(conv(7, 2, { peer: { ...BOB } }));
    expect(s.peer(7)!.display_name).toBe(BOB.display_name);
    const gone = { ...BOB, display_name: 'Deleted account', deleted: true };
    const c = conv(7, 2, { peer: gone });
    c.members = c.members.map((m) => (m.user.id === BOB.id ? { ...m, user: gone } : m));
    expect(s.upsertConversation({ ...c, version: c.version + 1 })).toBe(true);
    expect(s.peer(7)).toEqual(gone);
  });

  it('keeps messages in seq order whatever order they arrive in', () => {
    const s = new ChatStore(ALICE.id);
    s.upsertConversation(conv(7, 0));
    s.addMessages([msg(7, 3), msg(7, 1)]);
    s.addMessages([msg(7, 2)]);
    s.addMessages([msg(7, 5), msg(7, 4)]);
    expect(s.messages(7).map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(s.conversation(7)!.last_seq).toBe(5);
    expect(s.conversation(7)!.last_message!.seq).toBe(5);
  });

  it('counts unread from the own read watermark', () => {
    const s = new ChatStore(ALICE.id);
    s.upsertConversation(conv(7, 5, { aliceRead: 2 }));
    expect(s.unread(7)).toBe(3);
    s.addMessages([msg(7, 6)]);
    expect(s.unread(7)).toBe(4);
    // My own read receipt (from another device) clears it.
    s.applyReceipt({ conversation_id: 7, user_id: ALICE.id, delivered_seq: 6, read_seq: 6 });
    expect(s.unread(7)).toBe(0);
    s.addMessages([msg(7, 7)]);
    expect(s.unread(7)).toBe(1);
    // Sending a message marks everything before it read.
    s.addMessages([msg(7, 8, ALICE.id)]);
    expect(s.unread(7)).toBe(0);
    s.upsertConversation(conv(8, 2));
    s.addMessages([msg(8, 3)]);
    expect(s.totalUnread()).toBe(3);
    s.markOwn(8, 'read', 3);
    expect(s.totalUnread()).toBe(0);
  });

  it('does not count messages that arrive hidden (withheld from this user) as last message or unread', () => {
    const s = new ChatStore(ALICE.id);
    s.upsertConversation(conv(7, 2, { aliceRead: 2 }));
    s.addMessages([msg(7, 1), msg(7, 2)]);
    s.addMessages([{ ...msg(7, 3), text: '', hidden: true }, { ...msg(7, 4), text: '', hidden: true }]);
    expect(s.conversation(7)!.last_seq).toBe(2);
    expect(s.conversation(7)!.last_message!.text).toBe('m2');
    expect(s.unread(7)).toBe(0);
    expect(s.maxSeq(7)).toBe(4);  // still held, so history and changes go on after them
    // After a reload the cached hidden messages do not count either.
    const fresh = new ChatStore(ALICE.id);
    fresh.addMessages([msg(7, 1), msg(7, 2), { ...msg(7, 3), text: '', hidden: true }]);
    fresh.upsertConversation(conv(7, 2, { aliceRead: 2 }));
    expect(fresh.conversation(7)!.last_seq).toBe(2);
    expect(fresh.unread(7)).toBe(0);
  });

  it('merges conversations field-wise and never goes backwards', () => {
    const s = new ChatStore(ALICE.id);
    s.upsertConversation(conv(7, 5, { bobRead: 4, version: 50 }));
    const stale = conv(7, 3, { bobRead: 1, version: 30 });
    expect(s.upsertConversation(stale)).toBe(false);
    const c = s.conversation(7)!;
    expect(c.last_seq).toBe(5);
    expect(c.members.find((m) => m.user.id === BOB.id)!.read_seq).toBe(4);
    expect(c.version).toBe(50);
    expect(s.upsertConversation(conv(7, 6, { bobRead: 6, version: 60 }))).toBe(true);
    expect(s.conversation(7)!.version).toBe(60);
    expect(s.conversation(7)!.members.find((m) => m.user.id === BOB.id)!.read_seq).toBe(6);
  });

  it('sorts the chat list by last activity, newest first', () => {
    const s = new ChatStore(ALICE.id);
    s.upsertConversation(conv(1, 1)); // ts ...
    s.upsertConversation(conv(2, 0));
    s.upsertConversation(conv(3, 2));
    expect(s.sortedConversations().map((c) => c.id)).toEqual([3, 1, 2]);
    s.addMessages([{ ...msg(2, 1), ts: 1_900_000_000_000 }]);
    expect(s.sortedConversations().map((c) => c.id)).toEqual([2, 3, 1]);
    // A pending outbox message moves its chat up too.
    expect(s.sortedConversations((id) => (id === 1 ? 2_000_000_000_000 : undefined)).map((c) => c.id)).toEqual([1, 2, 3]);
  });

  it('reports gaps and unknown conversations from live events', () => {
    const s = new ChatStore(ALICE.id);
    s.upsertConversation(conv(7, 0));
    s.addMessages([msg(7, 1), msg(7, 2)]);
    const r = s.addMessages([msg(7, 5)]);
    expect(r.gaps).toEqual([{ conversation_id: 7, after: 2 }]);
    const ok = s.addMessages([msg(7, 3), msg(7, 4), msg(7, 6)]);
    expect(ok.gaps).toEqual([]);
    const u = s.addMessages([msg(9, 1)]);
    expect(u.unknown).toEqual([9]);
    // When the conversation arrives later, messages already held count.
    s.upsertConversation(conv(9, 0));
    expect(s.conversation(9)!.last_seq).toBe(1);
  });

  it('hands out changes for persistence exactly once', () => {
    const s = new ChatStore(ALICE.id);
    s.upsertConversation(conv(7, 0));
    s.addMessages([msg(7, 1)]);
    const ch = s.takeChanges();
    expect(ch.conversations.map((c) => c.id)).toEqual([7]);
    expect(ch.messages.map((m) => m.seq)).toEqual([1]);
    expect(s.takeChanges()).toEqual({ conversations: [], messages: [] });
    s.addMessages([msg(7, 1)]);
    expect(s.takeChanges().messages).toEqual([]);
  });
});

/** A fake server holding conversations and messages, answering sync and history like protocol.md. */
class FakeServer implements SyncTransport {
  convs = new Map<number, Conversation>();
  msgs = new Map<number, Message[]>();
  version = 0;
  calls: string[] = [];

  post(m: Message) {
    const list = this.msgs.get(m.conversation_id) ?? [];
    list.push(m);
    this.msgs.set(m.conversation_id, list);
    const c = this.convs.get(m.conversation_id) ?? conv(m.conversation_id, 0);
    c.last_seq = m.seq;
    c.last_message = m;
    c.last_activity = m.ts;
    c.version = ++this.version;
    this.convs.set(c.id, c);
  }

  async sync(since: number, limit: number): Promise<SyncPage> {
    this.calls.push(`sync ${since}`);
    const changed = [...this.convs.values()].filter((c) => c.version > since).sort((a, b) => a.version - b.version);
    const page = changed.slice(0, limit);
    const has_more = changed.length > limit;
    return {
      version: has_more ? page[page.length - 1].version : this.version,
      has_more,
      conversations: structuredClone(page),
    };
  }

  async history(id: number, p: { after?: number; before?: number; limit: number }): Promise<HistoryPage> {
    this.calls.push(`history ${id} ${p.after !== undefined ? 'after=' + p.after : p.before !== undefined ? 'before=' + p.before : 'newest'}`);
    const all = this.msgs.get(id) ?? [];
    if (p.after !== undefined) {
      const rest = all.filter((m) => m.seq > p.after!);
      return { messages: rest.slice(0, p.limit), has_more: rest.length > p.limit };
    }
    const rest = all.filter((m) => p.before === undefined || m.seq < p.before).reverse();
    return { messages: rest.slice(0, p.limit), has_more: rest.length > p.limit };
  }
}

describe('sync', () => {
  it('pulls changed conversations, then their new messages, and returns the new cursor', async () => {
    const srv = new FakeServer();
    for (let i = 1; i <= 3; i++) srv.post(msg(7, i));
    srv.post(msg(8, 1));
    const s = new ChatStore(ALICE.id);
    const r1 = await runSync(srv, s, 0);
    expect(r1.version).toBe(4);
    expect(s.messages(7).map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(s.messages(8).map((m) => m.seq)).toEqual([1]);
    expect(s.unread(7)).toBe(3);

    // Later: new messages in 7 only; sync since the stored cursor fetches history after=3.
    srv.post(msg(7, 4));
    srv.post(msg(7, 5));
    srv.calls = [];
    const r2 = await runSync(srv, s, r1.version);
    expect(r2.changed).toEqual([7]);
    expect(srv.calls).toEqual(['sync 4', 'history 7 after=3']);
    expect(s.messages(7).map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(s.unread(7)).toBe(5);
    expect(r2.version).toBe(6);
  });

  it('is idempotent: syncing again from an old cursor changes nothing', async () => {
    const srv = new FakeServer();
    for (let i = 1; i <= 4; i++) srv.post(msg(7, i));
    const s = new ChatStore(ALICE.id);
    await runSync(srv, s, 0);
    // Events that repeat what sync said.
    s.addMessages([msg(7, 3), msg(7, 4)]);
    s.takeChanges();
    await runSync(srv, s, 0);
    expect(s.messages(7).map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    expect(s.takeChanges().messages).toEqual([]);
  });

  it('follows has_more on sync and history pages', async () => {
    const srv = new FakeServer();
    for (let c = 1; c <= 5; c++) srv.post(msg(c, 1));
    const s = new ChatStore(ALICE.id);
    await runSync(srv, s, 0);
    for (let i = 2; i <= 9; i++) srv.post(msg(3, i));
    srv.calls = [];
    const r = await runSync(srv, s, 5, { pageSize: 2, historyPageSize: 3 });
    expect(srv.calls).toEqual(['sync 5', 'history 3 after=1', 'history 3 after=4', 'history 3 after=7']);
    expect(s.messages(3).map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(r.version).toBe(srv.version);

    for (let c = 1; c <= 5; c++) srv.post(msg(c, c === 3 ? 10 : 2));
    srv.calls = [];
    const r2 = await runSync(srv, s, r.version, { pageSize: 2 });
    expect(srv.calls.filter((c) => c.startsWith('sync'))).toHaveLength(3);
    expect(r2.changed.sort()).toEqual([1, 2, 3, 4, 5]);
    expect(s.conversation(5)!.last_seq).toBe(2);
  });

  it('fetches only the newest page for a conversation with nothing held locally', async () => {
    const srv = new FakeServer();
    for (let i = 1; i <= 120; i++) srv.post(msg(7, i));
    const s = new ChatStore(ALICE.id);
    srv.calls = [];
    await runSync(srv, s, 0, { initialPageSize: 50 });
    expect(srv.calls).toEqual(['sync 0', 'history 7 newest']);
    expect(s.minSeq(7)).toBe(71);
    expect(s.maxSeq(7)).toBe(120);
    expect(s.unread(7)).toBe(120);
  });

  it('merges receipts carried by synced conversations', async () => {
    const srv = new FakeServer();
    srv.post(msg(7, 1, ALICE.id));
    const s = new ChatStore(ALICE.id);
    const r = await runSync(srv, s, 0);
    const c = srv.convs.get(7)!;
    c.members[1].delivered_seq = 1;
    c.members[1].read_seq = 1;
    c.version = ++srv.version;
    await runSync(srv, s, r.version);
    expect(s.conversation(7)!.members.find((m) => m.user.id === BOB.id)!.read_seq).toBe(1);
  });
});
