import { describe, expect, it } from 'vitest';
import { canDeleteForEveryone, canEdit, DELETED_TEXT, EDIT_WINDOW_MS, isNewerMessage } from '../src/core/edits';
import { previewText } from '../src/core/groups';
import { ChatStore } from '../src/core/store';
import { runSync, type SyncTransport } from '../src/core/sync';
import type { ChangesPage, Conversation, HistoryPage, Message, SyncPage } from '../src/core/types';
import { ALICE, BOB, conv, msg } from './helpers';

/** A message at a version (as the server sends them since schema 4). */
function vmsg(cid: number, seq: number, version: number, sender = BOB.id, text = `m${seq}`): Message {
  return { ...msg(cid, seq, sender, text), version };
}

function edited(m: Message, text: string, version: number): Message {
  return { ...m, text, edited_at: m.ts + 60_000, version };
}

function deleted(m: Message, version: number): Message {
  return { ...m, text: '', deleted: true, deleted_at: m.ts + 60_000, version };
}

function storeWith(cid: number, n: number): ChatStore {
  const s = new ChatStore(ALICE.id);
  s.upsertConversation(conv(cid, 0));
  s.addMessages(Array.from({ length: n }, (_, i) => vmsg(cid, i + 1, i + 1)));
  s.takeChanges();
  return s;
}

describe('isNewerMessage', () => {
  const base = vmsg(7, 1, 10);
  it('follows the version', () => {
    expect(isNewerMessage(edited(base, 'x', 11), base)).toBe(true);
    expect(isNewerMessage(base, edited(base, 'x', 11))).toBe(false);
    expect(isNewerMessage(base, base)).toBe(false);
  });
  it('never brings back a deleted or hidden message', () => {
    const gone = deleted(base, 12);
    expect(isNewerMessage({ ...edited(base, 'x', 13) }, gone)).toBe(false);
    const hidden = { ...base, text: '', hidden: true, version: 12 };
    expect(isNewerMessage(edited(base, 'x', 13), hidden)).toBe(false);
    // Hidden after deleted (the user also deleted it for themselves) is newer.
    expect(isNewerMessage({ ...gone, hidden: true, version: 14 }, gone)).toBe(true);
  });
  it('without versions: deletion, hiding and later edits are newer', () => {
    const m = msg(7, 1);
    expect(isNewerMessage({ ...m, deleted: true, text: '' }, m)).toBe(true);
    expect(isNewerMessage({ ...m, hidden: true, text: '' }, m)).toBe(true);
    expect(isNewerMessage({ ...m, text: 'b', edited_at: 5 }, { ...m, text: 'a', edited_at: 4 })).toBe(true);
    expect(isNewerMessage({ ...m, text: 'a', edited_at: 4 }, { ...m, text: 'b', edited_at: 5 })).toBe(false);
  });
});

describe('edit and delete windows', () => {
  const now = 1_700_000_100_000;
  const mine = { ...msg(7, 1, ALICE.id), ts: now - 60_000 };
  it('edit: own text messages for 15 minutes, not deleted', () => {
    expect(canEdit(mine, ALICE.id, now)).toBe(true);
    expect(canEdit(mine, ALICE.id, mine.ts + EDIT_WINDOW_MS + 1)).toBe(false);
    expect(canEdit(mine, BOB.id, now)).toBe(false);
    expect(canEdit({ ...mine, deleted: true, text: '' }, ALICE.id, now)).toBe(false);
    expect(canEdit({ ...mine, kind: 'system' }, ALICE.id, now)).toBe(false);
  });
  it('delete for everyone: own messages for 48 hours', () => {
    expect(canDeleteForEveryone(mine, ALICE.id, now + 47 * 3600_000)).toBe(true);
    expect(canDeleteForEveryone(mine, ALICE.id, mine.ts + 48 * 3600_000)).toBe(false);
    expect(canDeleteForEveryone(mine, BOB.id, now)).toBe(false);
  });
});

describe('ChatStore: message_changed, message_hidden, changes', () => {
  it('an edit replaces the held message; repeating it or an older state changes nothing', () => {
    const s = storeWith(7, 3);
    const e = edited(vmsg(7, 2, 2), 'see you at 6', 20);
    const r = s.applyChanges([e]);
    expect(r.replaced).toHaveLength(1);
    expect(r.added).toHaveLength(0);
    expect(s.message(7, 2)).toMatchObject({ text: 'see you at 6', version: 20, edited_at: e.edited_at });
    expect(s.takeChanges().messages.map((m) => m.seq)).toEqual([2]);

    expect(s.applyChanges([e]).replaced).toHaveLength(0);
    // The original, late (a history page from before the edit): ignored.
    expect(s.addMessages([vmsg(7, 2, 2)]).replaced).toHaveLength(0);
    expect(s.message(7, 2)!.text).toBe('see you at 6');
    expect(s.takeChanges().messages).toHaveLength(0);
  });

  it('a later edit wins whatever order the two arrive in', () => {
    const a = storeWith(7, 2);
    const b = storeWith(7, 2);
    const e1 = edited(vmsg(7, 1, 1), 'first', 10);
    const e2 = edited(vmsg(7, 1, 1), 'second', 11);
    a.applyChanges([e1]);
    a.applyChanges([e2]);
    b.applyChanges([e2]);
    b.applyChanges([e1]);
    expect(a.message(7, 1)!.text).toBe('second');
    expect(b.message(7, 1)!.text).toBe('second');
  });

  it('deleted for everyone keeps its place, loses its text, and stays deleted', () => {
    const s = storeWith(7, 3);
    s.applyChanges([deleted(vmsg(7, 2, 2), 30)]);
    expect(s.messages(7).map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(s.message(7, 2)).toMatchObject({ deleted: true, text: '' });
    s.applyChanges([edited(vmsg(7, 2, 2), 'back?', 25)]);
    s.addMessages([vmsg(7, 2, 2)]);
    expect(s.message(7, 2)).toMatchObject({ deleted: true, text: '' });
  });

  it('updates the chat-list preview when the last message is edited or deleted', () => {
    const s = storeWith(7, 3);
    const c = s.conversation(7)!;
    s.applyChanges([edited(vmsg(7, 3, 3), 'better', 40)]);
    expect(previewText(c, s.previewMessage(7)!, ALICE.id)).toBe('better');
    expect(s.conversation(7)!.last_message!.text).toBe('better');
    s.applyChanges([deleted(vmsg(7, 3, 3), 41)]);
    expect(previewText(c, s.previewMessage(7)!, ALICE.id)).toBe(DELETED_TEXT);
    const own = { ...vmsg(7, 4, 42, ALICE.id), deleted: true, text: '' };
    expect(previewText(c, own, ALICE.id)).toBe('You deleted this message');
  });

  it('hidden messages stay in the store but leave the preview to the message before', () => {
    const s = storeWith(7, 3);
    expect(s.applyHidden(7, 3, 50)).toBe(true);
    expect(s.message(7, 3)).toMatchObject({ hidden: true, text: '', version: 50 });
    expect(s.previewMessage(7)!.seq).toBe(2);
    expect(s.applyHidden(7, 3, 50)).toBe(false); // idempotent
    s.applyHidden(7, 2, 51);
    expect(s.previewMessage(7)!.seq).toBe(1);
    // A new message becomes the preview again.
    s.addMessages([vmsg(7, 4, 52)]);
    expect(s.previewMessage(7)!.seq).toBe(4);
    // An edit from before the hide does not bring it back.
    s.applyChanges([edited(vmsg(7, 3, 3), 'x', 49)]);
    expect(s.message(7, 3)!.hidden).toBe(true);
  });

  it('hiding the last message when only the conversation object knows it', () => {
    const s = new ChatStore(ALICE.id);
    s.upsertConversation(conv(7, 5));
    expect(s.applyHidden(7, 5, 60)).toBe(true);
    expect(s.previewMessage(7)).toBeNull();
    expect(s.messages(7)).toHaveLength(0);
  });

  it('changes of messages older than what is held do not leave a hole', () => {
    const s = new ChatStore(ALICE.id);
    s.upsertConversation(conv(7, 0));
    s.addMessages([vmsg(7, 8, 8), vmsg(7, 9, 9), vmsg(7, 10, 10)]);
    const r = s.applyChanges([edited(vmsg(7, 2, 2), 'old one', 70)]);
    expect(r.added).toHaveLength(0);
    expect(s.minSeq(7)).toBe(8);
  });

  it('changes pages add new messages and replace changed ones in one pass', () => {
    const s = storeWith(7, 3);
    const r = s.applyChanges([deleted(vmsg(7, 1, 1), 80), vmsg(7, 5, 81), vmsg(7, 4, 82), edited(vmsg(7, 2, 2), 'e', 83)], { detectGaps: false });
    expect(r.added.map((m) => m.seq).sort()).toEqual([4, 5]);
    expect(r.replaced.map((m) => m.seq).sort()).toEqual([1, 2]);
    expect(s.conversation(7)!.last_seq).toBe(5);
    expect(s.messages(7).map((m) => [m.seq, m.text])).toEqual([
      [1, ''],
      [2, 'e'],
      [3, 'm3'],
      [4, 'm4'],
      [5, 'm5'],
    ]);
  });

  it('a history page with a newer state of a held message replaces it', () => {
    const s = storeWith(7, 3);
    const r = s.addMessages([vmsg(7, 1, 1), edited(vmsg(7, 2, 2), 'newer', 95)], { detectGaps: false });
    expect(r.added).toHaveLength(0);
    expect(r.replaced.map((m) => m.seq)).toEqual([2]);
    expect(s.message(7, 2)!.text).toBe('newer');
  });

  it('a change to a message beyond the newest held one adds it and reports the gap', () => {
    const s = storeWith(7, 3);
    const r = s.applyChanges([edited(vmsg(7, 6, 6), 'later', 96)]);
    expect(r.added.map((m) => m.seq)).toEqual([6]);
    expect(r.gaps).toEqual([{ conversation_id: 7, after: 3 }]);
    // A conversation the store does not know is reported, so the caller syncs.
    expect(s.applyChanges([vmsg(9, 1, 97)]).unknown).toEqual([9]);
  });

  it('a conversation object with an edited last message updates the preview', () => {
    const s = storeWith(7, 3);
    const c = conv(7, 3, { version: 90 });
    c.last_message = edited(vmsg(7, 3, 3), 'from sync', 90);
    s.upsertConversation(c);
    expect(s.message(7, 3)!.text).toBe('from sync');
    expect(s.conversation(7)!.last_message!.text).toBe('from sync');
  });
});

/** A server with versions, edits, deletions, hides for alice, and the changes route. */
class VersionedServer implements SyncTransport {
  convs = new Map<number, Conversation>();
  msgs = new Map<number, Message[]>();
  hidden = new Map<string, number>();
  version = 0;
  calls: string[] = [];

  private touch(cid: number): number {
    const v = ++this.version;
    this.convs.get(cid)!.version = v;
    return v;
  }

  post(cid: number, text: string, sender = BOB.id): Message {
    const list = this.msgs.get(cid) ?? [];
    if (!this.convs.has(cid)) this.convs.set(cid, conv(cid, 0));
    const m = { ...msg(cid, list.length + 1, sender, text), version: 0 };
    list.push(m);
    this.msgs.set(cid, list);
    m.version = this.touch(cid);
    const c = this.convs.get(cid)!;
    c.last_seq = m.seq;
    c.last_activity = m.ts;
    return m;
  }

  edit(cid: number, seq: number, text: string) {
    const m = this.msgs.get(cid)![seq - 1];
    m.text = text;
    m.edited_at = m.ts + 1;
    m.version = this.touch(cid);
  }

  remove(cid: number, seq: number) {
    const m = this.msgs.get(cid)![seq - 1];
    m.text = '';
    m.deleted = true;
    delete m.edited_at;
    m.version = this.touch(cid);
  }

  hide(cid: number, seq: number) {
    this.hidden.set(`${cid}:${seq}`, this.touch(cid));
  }

  /** The message as alice sees it. */
  view(m: Message): Message {
    const h = this.hidden.get(`${m.conversation_id}:${m.seq}`);
    return h !== undefined ? { ...m, text: '', hidden: true, version: Math.max(h, m.version!) } : { ...m };
  }

  async sync(since: number, limit: number): Promise<SyncPage> {
    this.calls.push(`sync ${since}`);
    const changed = [...this.convs.values()].filter((c) => c.version > since).sort((a, b) => a.version - b.version);
    const page = changed.slice(0, limit).map((c) => {
      const list = this.msgs.get(c.id) ?? [];
      return { ...structuredClone(c), last_message: list.length ? this.view(list[list.length - 1]) : null };
    });
    const has_more = changed.length > limit;
    return { version: has_more ? page[page.length - 1].version : this.version, has_more, conversations: page };
  }

  async history(cid: number, p: { after?: number; before?: number; limit: number }): Promise<HistoryPage> {
    this.calls.push(`history ${cid} ${JSON.stringify(p)}`);
    const all = (this.msgs.get(cid) ?? []).map((m) => this.view(m));
    if (p.after !== undefined) {
      const l = all.filter((m) => m.seq > p.after!);
      return { messages: l.slice(0, p.limit), has_more: l.length > p.limit };
    }
    const l = all.filter((m) => p.before === undefined || m.seq < p.before).reverse();
    return { messages: l.slice(0, p.limit), has_more: l.length > p.limit };
  }

  async changes(cid: number, since: number, limit: number): Promise<ChangesPage> {
    this.calls.push(`changes ${cid} ${since}`);
    const l = (this.msgs.get(cid) ?? [])
      .map((m) => this.view(m))
      .filter((m) => m.version! > since)
      .sort((a, b) => a.version! - b.version!);
    return { messages: l.slice(0, limit), has_more: l.length > limit };
  }
}

describe('runSync with changes', () => {
  it('an offline device converges: edits, deletions, hides and new messages, over several pages', async () => {
    const srv = new VersionedServer();
    for (let i = 1; i <= 5; i++) srv.post(7, `hello ${i}`, i % 2 ? BOB.id : ALICE.id);
    const s = new ChatStore(ALICE.id);
    const first = await runSync(srv, s, 0);
    expect(s.messages(7).map((m) => m.text)).toEqual(['hello 1', 'hello 2', 'hello 3', 'hello 4', 'hello 5']);

    // While the device is away.
    srv.edit(7, 2, 'hello two');
    srv.remove(7, 3);
    srv.hide(7, 4);
    srv.post(7, 'hello 6');
    srv.post(7, 'hello 7');
    srv.edit(7, 6, 'hello six');
    srv.calls = [];
    const second = await runSync(srv, s, first.version, { changesPageSize: 2 });
    expect(second.version).toBe(srv.version);
    expect(srv.calls.filter((c) => c.startsWith('changes'))).toEqual([
      `changes 7 ${first.version}`,
      expect.stringMatching(/^changes 7 \d+$/),
      expect.stringMatching(/^changes 7 \d+$/),
    ]);
    expect(srv.calls.some((c) => c.startsWith('history'))).toBe(false);
    const view = s.messages(7).map((m) => [m.seq, m.text, !!m.deleted, !!m.hidden]);
    expect(view).toEqual([
      [1, 'hello 1', false, false],
      [2, 'hello two', false, false],
      [3, '', true, false],
      [4, '', false, true],
      [5, 'hello 5', false, false],
      [6, 'hello six', false, false],
      [7, 'hello 7', false, false],
    ]);
    expect(s.message(7, 2)!.edited_at).toBeDefined();
    expect(s.previewMessage(7)!.text).toBe('hello 7');

    // Nothing new: a third round asks for nothing and changes nothing.
    s.takeChanges();
    srv.calls = [];
    const third = await runSync(srv, s, second.version);
    expect(third.changed).toEqual([]);
    expect(srv.calls).toEqual([`sync ${second.version}`]);
    expect(s.takeChanges().messages).toHaveLength(0);
  });

  it('a hidden last message leaves the preview on the one before after sync', async () => {
    const srv = new VersionedServer();
    srv.post(7, 'keep');
    srv.post(7, 'hide me');
    const s = new ChatStore(ALICE.id);
    const first = await runSync(srv, s, 0);
    srv.hide(7, 2);
    await runSync(srv, s, first.version);
    expect(s.message(7, 2)!.hidden).toBe(true);
    expect(s.previewMessage(7)!.text).toBe('keep');
  });
});
