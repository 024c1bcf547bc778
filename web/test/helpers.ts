import type { Conversation, Member, Message } from '../src/core/types';

export const ALICE = { id: 1, username: 'alice', display_name: 'Alice' };
export const BOB = { id: 2, username: 'bob', display_name: 'Bob' };

export function member(user: typeof ALICE, delivered = 0, read = 0): Member {
  return { user: { ...user }, delivered_seq: delivered, read_seq: read };
}

export function msg(conversation_id: number, seq: number, sender_id = BOB.id, text = `m${seq}`): Message {
  return {
    id: conversation_id * 1000 + seq,
    conversation_id,
    seq,
    sender_id,
    client_id: `c-${conversation_id}-${seq}`,
    kind: 'text',
    text,
    ts: 1_700_000_000_000 + conversation_id * 10 + seq * 1000,
  };
}

export function conv(id: number, last_seq: number, opts: Partial<Conversation> & { aliceRead?: number; bobRead?: number; bobDelivered?: number } = {}): Conversation {
  const last_message = last_seq > 0 ? msg(id, last_seq) : null;
  return {
    id,
    kind: 'direct',
    peer: { ...BOB },
    members: [
      member(ALICE, opts.aliceRead ?? 0, opts.aliceRead ?? 0),
      member(BOB, opts.bobDelivered ?? opts.bobRead ?? 0, opts.bobRead ?? 0),
    ],
    last_seq,
    last_activity: last_message ? last_message.ts : 1_600_000_000_000 + id,
    created_at: 1_600_000_000_000 + id,
    last_message,
    version: opts.version ?? id * 10 + last_seq,
    unread: Math.max(0, last_seq - (opts.aliceRead ?? 0)),
    ...Object.fromEntries(Object.entries(opts).filter(([k]) => !['aliceRead', 'bobRead', 'bobDelivered'].includes(k))),
  };
}
