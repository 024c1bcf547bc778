import { describe, expect, it } from 'vitest';
import { arrangeChats } from '../src/core/chatstate';
import { conv } from './helpers';

describe('chat list arrangement', () => {
  const a = conv(1, 1), b = { ...conv(2, 1), pinned_at: 100 }, c = { ...conv(3, 1), pinned_at: 200 }, d = { ...conv(4, 1), archived: true };
  it('puts pinned chats first, most recently pinned first, and leaves archived ones out', () => {
    const r = arrangeChats([a, b, c, d], false);
    expect(r.list.map((x) => x.id)).toEqual([3, 2, 1]);
    expect(r.archived).toBe(1);
  });
  it('shows only archived chats in the archive view', () => {
    expect(arrangeChats([a, b, c, d], true).list.map((x) => x.id)).toEqual([4]);
  });
});
