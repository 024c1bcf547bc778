import type { Conversation } from './types';

/** The server's limit of pinned chats per user (docs/protocol.md, "Limits"). */
export const MAX_PINNED = 5;

/**
 * The chat list as shown: pinned chats first (most recently pinned first), then the rest in
 * the given (activity) order; archived chats only in the archive view (`archivedView`).
 */
export function arrangeChats(byActivity: readonly Conversation[], archivedView: boolean): { list: Conversation[]; archived: number } {
  const archived = byActivity.filter((c) => c.archived);
  if (archivedView) return { list: archived, archived: archived.length };
  const active = byActivity.filter((c) => !c.archived);
  const pinned = active.filter((c) => c.pinned_at != null).sort((a, b) => (b.pinned_at ?? 0) - (a.pinned_at ?? 0));
  return { list: [...pinned, ...active.filter((c) => c.pinned_at == null)], archived: archived.length };
}
