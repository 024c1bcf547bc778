import { describe, expect, it } from 'vitest';
import { ChatStore } from '../src/core/store';
import { Outbox } from '../src/core/outbox';
import { chatRows, continuesRun, rowPlacement, sameRow, startsDay } from '../src/ui/chatRows';
import type { ParleyClient } from '../src/platform/client';
import { ALICE, BOB, conv, msg } from './helpers';

/** What chatRows reads of the client: the session, the store, the outbox and the uploads. */
function fakeClient() {
  const store = new ChatStore(ALICE.id);
  const outbox = new Outbox([], { newId: (() => { let n = 0; return () => `local-${++n}`; })() });
  const client = { session: { user: ALICE }, store, outbox, uploads: [] } as unknown as ParleyClient;
  return { client, store, outbox };
}

const names = (id: number) => (id === ALICE.id ? 'Alice' : 'Bob');

describe('chat rows (what the memoized message rows are drawn from)', () => {
  it('keeps the row object of every message that did not change, so only new rows are drawn', () => {
    const { client, store } = fakeClient();
    store.upsertConversation(conv(7, 0));
    store.addMessages([msg(7, 51), msg(7, 52), msg(7, 53, ALICE.id)]);
    const before = chatRows(client, store.conversation(7)!, names);
    // A page of older messages arrives above, and a new message below.
    store.addMessages([...Array.from({ length: 50 }, (_, i) => msg(7, i + 1)), msg(7, 54)]);
    const after = chatRows(client, store.conversation(7)!, names);
    expect(after.map((r) => r.seq)).toEqual(Array.from({ length: 54 }, (_, i) => i + 1));
    // The three held rows are the very same objects: their rows are not drawn again.
    expect(after.slice(50, 53)).toEqual(before);
    for (let i = 0; i < 3; i++) expect(after[50 + i]).toBe(before[i]);
  });

  it('makes a new row when the message is replaced (an edit) or its ticks move (a receipt)', () => {
    const { client, store } = fakeClient();
    store.upsertConversation(conv(7, 0));
    store.addMessages([msg(7, 1, ALICE.id), msg(7, 2, ALICE.id)]);
    const [one, two] = chatRows(client, store.conversation(7)!, names);
    expect(one.status).toBe('sent');

    store.applyChanges([{ ...msg(7, 1, ALICE.id, 'edited text'), edited_at: 1, version: 5 }]);
    store.applyReceipt({ conversation_id: 7, user_id: 2, delivered_seq: 2, read_seq: 0 });
    const [one2, two2] = chatRows(client, store.conversation(7)!, names);
    expect(one2).not.toBe(one);
    expect(sameRow(one, one2)).toBe(false);
    expect(one2.text).toBe('edited text');
    expect(two2.status).toBe('delivered');
    expect(sameRow(two, two2)).toBe(false);
    // Nothing changed since: the same rows again.
    const [one3, two3] = chatRows(client, store.conversation(7)!, names);
    expect(one3).toBe(one2);
    expect(two3).toBe(two2);
  });

  it('draws rows again when the names they show change', () => {
    const { client, store } = fakeClient();
    store.upsertConversation(conv(7, 0));
    store.addMessages([msg(7, 1)]);
    const [a] = chatRows(client, store.conversation(7)!, names);
    const [b] = chatRows(client, store.conversation(7)!, (id) => `renamed ${id}`);
    expect(b).not.toBe(a);
  });

  it('puts unsent messages after the stored ones until the server took them', () => {
    const { client, store, outbox } = fakeClient();
    store.upsertConversation(conv(7, 0));
    store.addMessages([msg(7, 1)]);
    const e = outbox.add(7, 'hello');
    const rows = chatRows(client, store.conversation(7)!, names);
    expect(rows.map((r) => r.key)).toEqual(['s1', `p${e.client_id}`]);
    expect(rows[1].status).toBe('sending');
    // Stored with the same client_id: one row, the stored one.
    store.addMessages([{ ...msg(7, 2, ALICE.id, 'hello'), client_id: e.client_id }]);
    expect(chatRows(client, store.conversation(7)!, names).map((r) => r.key)).toEqual(['s1', 's2']);
  });

  it('starts a day at the first row and at each change of local calendar day, not of 24 hours', () => {
    const { client, store } = fakeClient();
    store.upsertConversation(conv(7, 0));
    const at = (seq: number, d: Date, sender = BOB.id) => ({ ...msg(7, seq, sender), ts: d.getTime() });
    store.addMessages([
      at(1, new Date(2026, 0, 31, 23, 50)),
      at(2, new Date(2026, 0, 31, 23, 59)),
      at(3, new Date(2026, 1, 1, 0, 1)), // a few minutes later, the next day (and month)
      at(4, new Date(2026, 1, 1, 23, 0), ALICE.id),
      at(5, new Date(2027, 1, 1, 23, 30), ALICE.id), // the same day and month a year later
    ]);
    const rows = chatRows(client, store.conversation(7)!, names);
    expect(rows.map((r, i) => startsDay(rows[i - 1], r))).toEqual([true, false, true, false, true]);
    expect(rows.map((r, i) => continuesRun(rows[i - 1], r, startsDay(rows[i - 1], r)))).toEqual([false, true, false, false, false]);
    // The same answers as rowPlacement, and again for the same row objects on the next render.
    const again = chatRows(client, store.conversation(7)!, names);
    for (let i = 0; i < rows.length; i++) {
      expect(again[i]).toBe(rows[i]);
      expect(rowPlacement(again[i - 1], again[i])).toEqual({ newDay: startsDay(rows[i - 1], rows[i]), grouped: continuesRun(rows[i - 1], rows[i], startsDay(rows[i - 1], rows[i])) });
    }
  });
});
