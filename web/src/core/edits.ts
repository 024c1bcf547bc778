import type { Message } from './types';

/** Editing is allowed for this long after sending (docs/protocol.md, "Limits"); the server enforces it. */
export const EDIT_WINDOW_MS = 15 * 60 * 1000;
/** "Delete for everyone" is allowed for this long after sending. */
export const DELETE_WINDOW_MS = 48 * 60 * 60 * 1000;

export const DELETED_TEXT = 'This message was deleted';

/** True when the message is gone for everyone or hidden by this user: it has no text left. */
export function isGone(m: Pick<Message, 'deleted' | 'hidden'>): boolean {
  return !!m.deleted || !!m.hidden;
}

/**
 * Whether `incoming` is a newer state of the same message than `held` (same conversation_id
 * and seq). The server's `version` decides; without versions an edit is newer when it was
 * made later. Deleted and hidden are final: nothing brings the text back.
 */
export function isNewerMessage(incoming: Message, held: Message): boolean {
  if (held.hidden && !incoming.hidden) return false;
  if (held.deleted && !incoming.deleted && !incoming.hidden) return false;
  if (incoming.version !== undefined && held.version !== undefined) {
    if (incoming.version !== held.version) return incoming.version > held.version;
  }
  if (incoming.hidden && !held.hidden) return true;
  if (incoming.deleted && !held.deleted) return true;
  if (incoming.edited_at !== undefined && incoming.edited_at > (held.edited_at ?? 0)) return true;
  return false;
}

/** The user may try to edit this message now (own text message, not deleted, within the window). */
export function canEdit(m: Message, me: number, now: number): boolean {
  return m.sender_id === me && m.kind === 'text' && !isGone(m) && now - m.ts < EDIT_WINDOW_MS;
}

/** The user may try to delete this message for everyone now. */
export function canDeleteForEveryone(m: Message, me: number, now: number): boolean {
  return m.sender_id === me && m.kind !== 'system' && !isGone(m) && now - m.ts < DELETE_WINDOW_MS;
}

/** Words for the error codes of edit and delete. */
export function changeErrorText(code: string, what: 'edit' | 'delete'): string {
  switch (code) {
    case 'window_expired':
      return what === 'edit'
        ? 'This message can no longer be edited (only within 15 minutes of sending).'
        : 'This message can no longer be deleted for everyone (only within 48 hours of sending).';
    case 'network':
    case 'disconnected':
    case 'timeout':
      return 'You are offline. Try again when the connection returns.';
    case 'forbidden':
      return 'Only the sender can do that.';
    case 'message_too_long':
      return 'This message is longer than 16 KB.';
    case 'not_found':
      return 'This message is no longer available.';
    case 'invalid_argument':
      return what === 'edit' ? 'This message cannot be edited.' : 'This message cannot be deleted for everyone.';
    default:
      return 'That did not work. Try again.';
  }
}

