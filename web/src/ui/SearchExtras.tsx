import { useEffect, useState } from 'preact/hooks';
import { conversationName } from '../core/format';
import { matchChats } from '../core/localsearch';
import type { User } from '../core/types';
import type { ParleyClient } from '../platform/client';
import { Avatar } from './icons';

/**
 * Above the message results of the one search box: chats whose name matches (from this
 * device's list, so also offline) and people by username (from the server, when online)
 * that there is no chat with yet. Picking one opens (or starts) the chat.
 */
export function SearchExtras({ client, query, onOpenChat }: { client: ParleyClient; query: string; onOpenChat: (id: number) => void }) {
  const me = client.session.user.id;
  const title = (c: Parameters<typeof conversationName>[0] & { id: number }) => {
    const peer = client.directPeer(c.id);
    return peer ? client.nameOf(peer) : conversationName(c, me);
  };
  const chats = matchChats(client.store.sortedConversations(), query, title).slice(0, 8);
  const [people, setPeople] = useState<User[]>([]);
  const prefix = query.trim().toLowerCase();

  useEffect(() => {
    let live = true;
    setPeople([]);
    if (!/^[a-z][a-z0-9_.]{0,31}$/.test(prefix)) return;
    client.searchUsers(prefix, 8).then(
      (users) => live && setPeople(users),
      () => undefined, // offline: chats and messages on this device only
    );
    return () => {
      live = false;
    };
  }, [prefix]);

  const known = new Set(client.store.conversations().map((c) => client.directPeer(c.id)?.id).filter((x) => x !== undefined));
  const strangers = people.filter((u) => u.id !== me && !known.has(u.id));

  return (
    <>
      {chats.length > 0 && (
        <section aria-labelledby="search-chats">
          <h3 class="search-heading" id="search-chats">Chats</h3>
          <ul>
            {chats.map((c) => (
              <li key={c.id}>
                <button type="button" class="search-result search-chat" data-conversation={c.id} onClick={() => onOpenChat(c.id)}>
                  <Avatar name={title(c)} seed={client.directPeer(c.id) ? `u${client.directPeer(c.id)!.id}` : `c${c.id}`} size={32} />
                  <span class="row-name">{title(c)}</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
      {strangers.length > 0 && (
        <section aria-labelledby="search-people">
          <h3 class="search-heading" id="search-people">People</h3>
          <ul>
            {strangers.map((u) => (
              <li key={u.id}>
                <button
                  type="button"
                  class="search-result search-chat"
                  onClick={() => void client.startChat(u.username).then(onOpenChat, () => undefined)}
                >
                  <Avatar name={u.display_name} seed={`u${u.id}`} size={32} />
                  <span class="row-name">
                    {u.display_name} <span class="muted">@{u.username}</span>
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
      {(chats.length > 0 || strangers.length > 0) && <h3 class="search-heading">Messages</h3>}
    </>
  );
}
