import { describe, expect, it } from 'vitest';
import { neighbourChat, shortcutFor } from '../src/core/shortcuts';

const key = (k: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; altKey: boolean; shiftKey: boolean }> = {}) => ({
  key: k,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  shiftKey: false,
  ...mods,
});

describe('keyboard shortcuts', () => {
  it('Ctrl+K and Cmd+K search, Alt+arrows move between chats, ? shows help', () => {
    expect(shortcutFor(key('k', { ctrlKey: true }), true)).toBe('search');
    expect(shortcutFor(key('K', { metaKey: true }), false)).toBe('search');
    expect(shortcutFor(key('ArrowDown', { altKey: true }), true)).toBe('next-chat');
    expect(shortcutFor(key('ArrowUp', { altKey: true }), false)).toBe('previous-chat');
    expect(shortcutFor(key('?', { shiftKey: true }), false)).toBe('help');
  });

  it('leave typing alone: "?" in a text field, plain arrows and letters are not shortcuts', () => {
    expect(shortcutFor(key('?', { shiftKey: true }), true)).toBeNull();
    expect(shortcutFor(key('ArrowDown'), false)).toBeNull();
    expect(shortcutFor(key('k'), false)).toBeNull();
    expect(shortcutFor(key('k', { ctrlKey: true, shiftKey: true }), false)).toBeNull();
  });

  it('finds the next and previous chat in list order, stopping at the ends', () => {
    expect(neighbourChat([5, 3, 9], 3, 1)).toBe(9);
    expect(neighbourChat([5, 3, 9], 3, -1)).toBe(5);
    expect(neighbourChat([5, 3, 9], 9, 1)).toBeNull();
    expect(neighbourChat([5, 3, 9], null, 1)).toBe(5);
    expect(neighbourChat([5, 3, 9], null, -1)).toBe(9);
    expect(neighbourChat([], null, 1)).toBeNull();
  });
});
