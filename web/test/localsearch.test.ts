import { describe, expect, it } from 'vitest';
import { fold, matchChats, searchHeld } from '../src/core/localsearch';
import { conv, msg } from './helpers';

describe('offline search', () => {
  it('folds case and diacritics', () => {
    expect(fold('Crème BRÛLÉE')).toBe('creme brulee');
  });

  it('finds held messages by word prefixes, newest first, and marks the matches', () => {
    const ms = [msg(1, 1, 2, 'Dinner at the café?'), msg(1, 2, 2, 'no idea'), msg(2, 3, 2, 'The CAFE is closed')];
    const r = searchHeld(ms, 'cafe');
    expect(r.map((x) => x.message.seq)).toEqual([3, 1]);
    expect(r[1].snippet).toEqual([{ text: 'Dinner at the ' }, { text: 'café', match: true }, { text: '?' }]);
    expect(searchHeld(ms, 'caf clo').map((x) => x.message.seq)).toEqual([3]);
    expect(searchHeld(ms, '   ')).toEqual([]);
  });

  it('leaves out deleted, hidden and system messages', () => {
    const ms = [{ ...msg(1, 1, 2, 'secret plan'), deleted: true }, { ...msg(1, 2, 2, 'secret'), hidden: true }, { ...msg(1, 3, 2, 'secret'), kind: 'system' }];
    expect(searchHeld(ms, 'secret')).toEqual([]);
  });

  it('matches chats by shown name and by the peer\'s username', () => {
    const a = conv(1, 0), g = { ...conv(2, 0), kind: 'group', name: 'Climbing Club', peer: null };
    const names = (c: typeof a) => (c.kind === 'group' ? c.name! : 'Bob Builder');
    expect(matchChats([a, g], 'club', names).map((c) => c.id)).toEqual([2]);
    expect(matchChats([a, g], 'BOB', names).map((c) => c.id)).toEqual([1]);
  });
});
