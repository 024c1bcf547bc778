// Keyboard shortcuts of the app: which key does what, and the list the shortcuts dialog shows.
// Pure: the view passes the key event's fields and whether the focus is in a text field.

export type ShortcutAction = 'search' | 'next-chat' | 'previous-chat' | 'help';

export interface KeyPress {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
}

/** The app-wide action of a key press, or null. "?" only counts outside text fields. */
export function shortcutFor(e: KeyPress, inTextField: boolean): ShortcutAction | null {
  if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'k') return 'search';
  if (e.altKey && !e.ctrlKey && !e.metaKey && e.key === 'ArrowDown') return 'next-chat';
  if (e.altKey && !e.ctrlKey && !e.metaKey && e.key === 'ArrowUp') return 'previous-chat';
  if (e.key === '?' && !inTextField && !e.ctrlKey && !e.metaKey && !e.altKey) return 'help';
  return null;
}

/** The chat `delta` rows away from `openId` in the list order, or null at either end. */
export function neighbourChat(order: readonly number[], openId: number | null, delta: 1 | -1): number | null {
  if (order.length === 0) return null;
  if (openId === null) return delta === 1 ? order[0] : order[order.length - 1];
  const at = order.indexOf(openId);
  if (at < 0) return order[0];
  const next = at + delta;
  return next >= 0 && next < order.length ? order[next] : null;
}

/** What the shortcuts dialog lists, in order. */
export const SHORTCUTS: readonly { keys: string; does: string }[] = [
  { keys: 'Ctrl+K (⌘K)', does: 'Search messages' },
  { keys: 'Alt+↓ / Alt+↑', does: 'Next / previous chat' },
  { keys: '↑ in an empty message box', does: 'Edit your last message' },
  { keys: 'Enter / Shift+Enter', does: 'Send / new line' },
  { keys: 'Esc', does: 'Close a menu, panel or dialog' },
  { keys: '?', does: 'Show these shortcuts' },
];
