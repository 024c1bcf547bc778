import { describe, expect, it } from 'vitest';
import { ChatStore } from '../src/core/store';
import { MUTED_ALWAYS } from '../src/core/types';
import { ALICE, conv } from './helpers';

describe('mute in the chat store', () => {
  it('takes muted_until from the muted event and reports the change once', () => {
    const s = new ChatStore(ALICE.id);
    s.upsertConversation(conv(7, 0));
    expect(s.setMuted(7, MUTED_ALWAYS)).toBe(true);
    expect(s.conversation(7)!.muted_until).toBe(MUTED_ALWAYS);
    expect(s.setMuted(7, MUTED_ALWAYS)).toBe(false);
    expect(s.setMuted(99, 5)).toBe(false);
  });

  it('follows a newer server object (sync from another device) but not an older one', () => {
    const s = new ChatStore(ALICE.id);
    s.upsertConversation({ ...conv(7, 0), version: 10 });
    expect(s.upsertConversation({ ...conv(7, 0), version: 12, muted_until: 1234 })).toBe(true);
    expect(s.conversation(7)!.muted_until).toBe(1234);
    s.upsertConversation({ ...conv(7, 0), version: 11, muted_until: 0 });
    expect(s.conversation(7)!.muted_until).toBe(1234);
    s.upsertConversation({ ...conv(7, 0), version: 13, muted_until: 0 });
    expect(s.conversation(7)!.muted_until).toBe(0);
  });
});
