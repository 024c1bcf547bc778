import { describe, expect, it } from 'vitest';
import { applyReaction, myReaction, reactorsText } from '../src/core/reactions';
import { ALICE, BOB, msg } from './helpers';

describe('reactions', () => {
  const m = { ...msg(1, 3), version: 10 };

  it('set, replace and remove one reaction per user', () => {
    let r = applyReaction(m, BOB.id, '👍', 11);
    expect(r.reactions).toEqual([{ emoji: '👍', user_ids: [BOB.id] }]);
    expect(r.version).toBe(11);
    r = applyReaction(r, ALICE.id, '👍', 12);
    expect(r.reactions).toEqual([{ emoji: '👍', user_ids: [BOB.id, ALICE.id] }]);
    r = applyReaction(r, BOB.id, '❤️', 13);
    expect(r.reactions).toEqual([
      { emoji: '👍', user_ids: [ALICE.id] },
      { emoji: '❤️', user_ids: [BOB.id] },
    ]);
    expect(myReaction(r, BOB.id)).toBe('❤️');
    r = applyReaction(r, BOB.id, null, 14);
    r = applyReaction(r, ALICE.id, null, 15);
    expect(r.reactions).toBeUndefined();
    expect(r.version).toBe(15);
  });

  it('never moves the version back (an older event arriving late)', () => {
    expect(applyReaction(m, BOB.id, '👍', 4).version).toBe(10);
  });

  it('names who reacted', () => {
    const nameOf = (id: number) => (id === BOB.id ? 'Bob' : 'Carol');
    expect(reactorsText([ALICE.id], ALICE.id, nameOf)).toBe('You');
    expect(reactorsText([BOB.id, ALICE.id, 9], ALICE.id, nameOf)).toBe('Bob, You and Carol');
  });
});
