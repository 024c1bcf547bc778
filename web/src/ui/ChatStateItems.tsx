import { MAX_PINNED } from '../core/chatstate';
import type { Conversation } from '../core/types';
import type { ParleyClient } from '../platform/client';

/**
 * "Pin chat" / "Unpin chat" and "Archive chat" / "Unarchive chat" in a chat's menu. A pin
 * beyond the limit is not offered; a refusal from the server (another device pinned meanwhile)
 * is shown as an alert.
 */
export function ChatStateItems({ client, conv, onDone }: { client: ParleyClient; conv: Conversation; onDone: () => void }) {
  const pinned = conv.pinned_at != null;
  const pinnedCount = client.store.conversations().filter((c) => c.pinned_at != null).length;
  const canPin = pinned || pinnedCount < MAX_PINNED;

  function run(state: { pinned?: boolean; archived?: boolean }) {
    onDone();
    client.setChatState(conv.id, state).catch(() => window.alert('This change needs a connection, or you already have 5 pinned chats.'));
  }

  return (
    <>
      {canPin && (
        <li role="none">
          <button type="button" role="menuitem" tabIndex={-1} onClick={() => run({ pinned: !pinned })}>
            {pinned ? 'Unpin chat' : 'Pin chat'}
          </button>
        </li>
      )}
      <li role="none">
        <button type="button" role="menuitem" tabIndex={-1} onClick={() => run({ archived: !conv.archived })}>
          {conv.archived ? 'Unarchive chat' : 'Archive chat'}
        </button>
      </li>
    </>
  );
}
