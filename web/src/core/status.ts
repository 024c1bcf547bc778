import { groupStatus, isGroup } from './groups';
import type { Conversation, Member, MessageStatus, OutboxEntry } from './types';

/** Status of an outbox entry (not acknowledged yet). */
export function pendingStatus(entry: Pick<OutboxEntry, 'state'>): MessageStatus {
  return entry.state === 'failed' ? 'failed' : 'sending';
}

/**
 * Status of an own message the server stored with `seq`, from the members' watermarks:
 * read when every other member's read_seq >= seq, delivered when every other member's
 * delivered_seq >= seq, otherwise sent.
 */
export function storedStatus(seq: number, members: readonly Member[], me: number): MessageStatus {
  const others = members.filter((m) => m.user.id !== me);
  if (others.length === 0) return 'sent';
  if (others.every((m) => Math.max(m.read_seq, 0) >= seq)) return 'read';
  if (others.every((m) => Math.max(m.delivered_seq, m.read_seq) >= seq)) return 'delivered';
  return 'sent';
}

/** Status of an own stored message in any conversation: groups use their roster and min_* watermarks. */
export function messageStatus(c: Conversation, seq: number, ts: number | undefined, me: number): MessageStatus {
  return isGroup(c) ? groupStatus(seq, ts, c, me) : storedStatus(seq, c.members, me);
}

const RANK: Record<MessageStatus, number> = { failed: -1, sending: 0, sent: 1, delivered: 2, read: 3 };

/** True when going from `a` to `b` moves forward (statuses never go back once stored). */
export function isForward(a: MessageStatus, b: MessageStatus): boolean {
  return RANK[b] > RANK[a];
}

export function statusLabel(s: MessageStatus): string {
  switch (s) {
    case 'sending':
      return 'Sending';
    case 'sent':
      return 'Sent';
    case 'delivered':
      return 'Delivered';
    case 'read':
      return 'Read';
    case 'failed':
      return 'Not sent. Tap to retry';
  }
}
