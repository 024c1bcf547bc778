import { describe, expect, it } from 'vitest';
import { isForward, pendingStatus, storedStatus } from '../src/core/status';
import { ChatStore } from '../src/core/store';
import { Outbox } from '../src/core/outbox';
import { ALICE, BOB, conv, member, msg } from './helpers';

describe('message status', () => {
  it('pending entries are sending or failed', () => {
    expect(pendingStatus({ state: 'pending' })).toBe('sending');
    expect(pendingStatus({ state: 'failed' })).toBe('failed');
  });

  it('derives sent / delivered / read from the other members\' watermarks', () => {
    const members = [member(ALICE, 5, 5), member(BOB, 0, 0)];
    expect(storedStatus(3, members, ALICE.id)).toBe('sent');
    members[1].delivered_seq = 2;
    expect(storedStatus(3, members, ALICE.id)).toBe('sent');
    members[1].delivered_seq = 3;
    expect(storedStatus(3, members, ALICE.id)).toBe('delivered');
    members[1].read_seq = 3;
    expect(storedStatus(3, members, ALICE.id)).toBe('read');
    expect(storedStatus(4, members, ALICE.id)).toBe('sent');
  });

  it('requires every other member in a group', () => {
    const carol = { id: 3, username: 'carol', display_name: 'Carol' };
    const members = [member(ALICE, 5, 5), member(BOB, 5, 5), member(carol, 4, 1)];
    expect(storedStatus(5, members, ALICE.id)).toBe('sent');
    expect(storedStatus(4, members, ALICE.id)).toBe('delivered');
    expect(storedStatus(1, members, ALICE.id)).toBe('read');
  });

  it('walks sending -> sent -> delivered -> read through outbox, ack and receipts', () => {
    const store = new ChatStore(ALICE.id);
    store.upsertConversation(conv(7, 0));
    const box = new Outbox([], { newId: () => 'cid-1' });
    const entry = box.add(7, 'hello');
    const seen: string[] = [];
    const status = () => {
      const pending = box.get(entry.client_id);
      if (pending) return pendingStatus(pending);
      const m = store.messages(7).find((x) => x.client_id === entry.client_id)!;
      return storedStatus(m.seq, store.conversation(7)!.members, ALICE.id);
    };
    seen.push(status());
    box.markInFlight(entry.client_id);
    seen.push(status());
    // ack
    box.ack(entry.client_id);
    store.addMessages([{ ...msg(7, 1, ALICE.id, 'hello'), client_id: 'cid-1' }]);
    seen.push(status());
    store.applyReceipt({ conversation_id: 7, user_id: BOB.id, delivered_seq: 1, read_seq: 0 });
    seen.push(status());
    store.applyReceipt({ conversation_id: 7, user_id: BOB.id, delivered_seq: 1, read_seq: 1 });
    seen.push(status());
    // An old receipt repeated late never moves the status back.
    store.applyReceipt({ conversation_id: 7, user_id: BOB.id, delivered_seq: 0, read_seq: 0 });
    seen.push(status());
    expect(seen).toEqual(['sending', 'sending', 'sent', 'delivered', 'read', 'read']);
  });

  it('a read receipt alone implies delivered', () => {
    const store = new ChatStore(ALICE.id);
    store.upsertConversation(conv(7, 0));
    store.addMessages([msg(7, 1, ALICE.id)]);
    store.applyReceipt({ conversation_id: 7, user_id: BOB.id, delivered_seq: 0, read_seq: 1 });
    expect(storedStatus(1, store.conversation(7)!.members, ALICE.id)).toBe('read');
  });

  it('goes to failed on a permanent error and back to sending on retry', () => {
    const box = new Outbox([], { newId: () => 'x' });
    box.add(7, 'hi');
    box.markInFlight('x');
    box.fail('x', 'not_found');
    expect(pendingStatus(box.get('x')!)).toBe('failed');
    box.retry('x');
    expect(pendingStatus(box.get('x')!)).toBe('sending');
  });

  it('orders statuses', () => {
    expect(isForward('sending', 'sent')).toBe(true);
    expect(isForward('read', 'delivered')).toBe(false);
    expect(isForward('failed', 'sending')).toBe(true);
  });
});
