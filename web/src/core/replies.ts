import type { Message } from './types';

/** The longest quote snippet shown, in characters (code points); longer text ends in "…". */
export const QUOTE_SNIPPET_CHARS = 120;

/**
 * What a reply's quote shows (docs/protocol.md, "Replies"): the quoted message as this device
 * currently knows it, so edits and deletion of the original show through at once.
 * - `ok`: `snippet` is the start of its text on one line ("Photo" for a photo without caption);
 * - `deleted`: the original was deleted for everyone;
 * - `unavailable`: the viewer cannot see it (before they joined, or they hid it);
 * - `loading`: not held yet.
 */
export interface Quote {
  state: 'ok' | 'deleted' | 'unavailable' | 'loading';
  senderId?: number;
  snippet: string;
  photo: boolean;
}

/** Shortens text to one line of at most `max` code points. */
export function snippetOf(text: string, max = QUOTE_SNIPPET_CHARS): string {
  const line = text.replace(/\s+/g, ' ').trim();
  const chars = [...line];
  return chars.length <= max ? line : `${chars.slice(0, max - 1).join('').trimEnd()}…`;
}

/** The quote for a held message (`undefined`: not held; `null`: known to be unavailable). */
export function quoteOf(original: Message | undefined | null): Quote {
  if (original === undefined) return { state: 'loading', snippet: 'Loading…', photo: false };
  if (original === null || original.hidden || original.kind === 'system')
    return { state: 'unavailable', snippet: 'Message unavailable', photo: false };
  if (original.deleted) return { state: 'deleted', senderId: original.sender_id, snippet: 'Deleted message', photo: false };
  const photo = original.kind === 'image';
  if (photo && !original.text) return { state: 'ok', senderId: original.sender_id, snippet: 'Photo', photo };
  if (original.kind !== 'text' && !photo)
    return { state: 'ok', senderId: original.sender_id, snippet: 'Unsupported message', photo: false };
  return { state: 'ok', senderId: original.sender_id, snippet: snippetOf(original.text), photo };
}
