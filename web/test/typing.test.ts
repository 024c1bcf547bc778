import { describe, expect, it } from 'vitest';
import { TypingSender, TypingState, typingText } from '../src/core/typing';

describe('typing indicators (receiving)', () => {
  const ME = 1;

  it('shows a start until stop', () => {
    const t = new TypingState(ME);
    expect(t.apply({ conversation_id: 7, user_id: 2, state: 'start', expires_ms: 6000 }, 1000)).toBe(true);
    expect(t.typers(7, 1000)).toEqual([2]);
    expect(t.apply({ conversation_id: 7, user_id: 2, state: 'start', expires_ms: 6000 }, 3000)).toBe(false); // already shown
    expect(t.apply({ conversation_id: 7, user_id: 2, state: 'stop' }, 3500)).toBe(true);
    expect(t.typers(7, 3500)).toEqual([]);
    expect(t.apply({ conversation_id: 7, user_id: 2, state: 'stop' }, 3600)).toBe(false);
  });

  it('expires after expires_ms without a new start, and a repeated start extends it', () => {
    const t = new TypingState(ME);
    t.apply({ conversation_id: 7, user_id: 2, state: 'start', expires_ms: 6000 }, 0);
    expect(t.nextExpiry()).toBe(6000);
    t.apply({ conversation_id: 7, user_id: 2, state: 'start', expires_ms: 6000 }, 4000);
    expect(t.expire(6000)).toBe(false);
    expect(t.typers(7, 6000)).toEqual([2]);
    expect(t.typers(7, 10_000)).toEqual([]); // past expiry even before expire() runs
    expect(t.expire(10_000)).toBe(true);
    expect(t.nextExpiry()).toBeUndefined();
  });

  it('defaults to 6 s when expires_ms is missing', () => {
    const t = new TypingState(ME);
    t.apply({ conversation_id: 7, user_id: 2, state: 'start' }, 0);
    expect(t.typers(7, 5999)).toEqual([2]);
    expect(t.typers(7, 6000)).toEqual([]);
  });

  it('a message from the typer clears it; one from someone else does not', () => {
    const t = new TypingState(ME);
    t.apply({ conversation_id: 9, user_id: 2, state: 'start', expires_ms: 6000 }, 0);
    t.apply({ conversation_id: 9, user_id: 3, state: 'start', expires_ms: 6000 }, 0);
    expect(t.messageFrom(9, 4)).toBe(false);
    expect(t.messageFrom(9, 2)).toBe(true);
    expect(t.typers(9, 1)).toEqual([3]);
    expect(t.messageFrom(8, 3)).toBe(false); // another conversation
  });

  it('ignores own frames and unknown states; reset clears all', () => {
    const t = new TypingState(ME);
    expect(t.apply({ conversation_id: 7, user_id: ME, state: 'start' }, 0)).toBe(false);
    expect(t.apply({ conversation_id: 7, user_id: 2, state: 'paused' }, 0)).toBe(false);
    t.apply({ conversation_id: 7, user_id: 2, state: 'start' }, 0);
    expect(t.reset()).toBe(true);
    expect(t.typers(7, 0)).toEqual([]);
  });

  it('keeps conversations apart', () => {
    const t = new TypingState(ME);
    t.apply({ conversation_id: 7, user_id: 2, state: 'start' }, 0);
    expect(t.typers(8, 0)).toEqual([]);
  });
});

describe('typing text', () => {
  it('direct chats say "typing..."', () => {
    expect(typingText(['Bob'], false)).toBe('typing...');
    expect(typingText([], false)).toBe('');
  });
  it('groups name who types', () => {
    expect(typingText(['Bob'], true)).toBe('Bob is typing...');
    expect(typingText(['Bob', 'Carol'], true)).toBe('Bob and Carol are typing...');
    expect(typingText(['Bob', 'Carol', 'Dave'], true)).toBe('Bob, Carol and Dave are typing...');
    expect(typingText(['Bob', 'Carol', 'Dave', 'Eve'], true)).toBe('Bob, Carol and 2 others are typing...');
    expect(typingText([], true)).toBe('');
  });
});

describe('typing sender throttle', () => {
  it('sends start on the first keystroke and again at most every 4 s', () => {
    const s = new TypingSender();
    expect(s.input(0)).toBe('start');
    expect(s.input(500)).toBeNull();
    expect(s.input(3999)).toBeNull();
    expect(s.input(4000)).toBe('start');
    expect(s.input(4100)).toBeNull();
    expect(s.input(8000)).toBe('start');
  });

  it('stops after 3 s idle', () => {
    const s = new TypingSender();
    s.input(0);
    s.input(1000);
    expect(s.idleAt()).toBe(4000);
    expect(s.idle(3999)).toBeNull();
    expect(s.idle(4000)).toBe('stop');
    expect(s.isTyping).toBe(false);
    expect(s.idleAt()).toBeUndefined();
    expect(s.idle(9000)).toBeNull();
    // Typing again starts at once.
    expect(s.input(9000)).toBe('start');
  });

  it('stops on send or blur only if a start was sent', () => {
    const s = new TypingSender();
    expect(s.stop()).toBeNull();
    s.input(0);
    expect(s.stop()).toBe('stop');
    expect(s.stop()).toBeNull();
    expect(s.input(100)).toBe('start'); // a new message right after sending
  });
});
