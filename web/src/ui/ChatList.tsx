import { conversationName, listTime } from '../core/format';
import { isGroup, previewText } from '../core/groups';
import { messageStatus, pendingStatus, storedStatus } from '../core/status';
import type { ParleyClient } from '../platform/client';
import { Avatar, StatusIcon } from './icons';

export function ChatList({ client, openId, onOpen }: { client: ParleyClient; openId: number | null; onOpen: (id: number) => void }) {
  const { store, outbox } = client;
  const me = client.session.user.id;
  const pendingByConv = new Map<number, ReturnType<typeof outbox.all>>();
  for (const e of outbox.all()) {
    const l = pendingByConv.get(e.conversation_id) ?? [];
    l.push(e);
    pendingByConv.set(e.conversation_id, l);
  }
  const convs = store.sortedConversations((id) => pendingByConv.get(id)?.at(-1)?.created_at);
  const now = Date.now();

  if (convs.length === 0) {
    return (
      <p class="muted pad" role="status">
        No chats yet. Type a username above to start one.
      </p>
    );
  }

  return (
    <nav class="chat-list" aria-label="Recent chats">
      <ul>
        {convs.map((c) => {
          const name = conversationName(c, me);
          const pending = pendingByConv.get(c.id)?.at(-1);
          const unread = store.unread(c.id);
          let preview = '';
          let status = null as ReturnType<typeof storedStatus> | null;
          let time = c.last_seq > 0 ? c.last_activity : 0;
          if (pending) {
            preview = pending.text;
            status = pendingStatus(pending);
            time = Math.max(time, pending.created_at);
          } else if (c.last_message) {
            const lm = c.last_message;
            preview = previewText(c, lm, me);
            if (lm.sender_id === me && lm.kind !== 'system') status = messageStatus(c, lm.seq, lm.ts, me);
          }
          const selected = c.id === openId;
          const label = `${name}${unread ? `, ${unread} unread message${unread === 1 ? '' : 's'}` : ''}`;
          return (
            <li key={c.id}>
              <a
                href={`/c/${c.id}`}
                class={`chat-row${selected ? ' selected' : ''}${unread ? ' has-unread' : ''}`}
                aria-current={selected ? 'page' : undefined}
                aria-label={label}
                data-conversation={c.id}
                data-kind={isGroup(c) ? 'group' : 'direct'}
                onClick={(e) => {
                  e.preventDefault();
                  onOpen(c.id);
                }}
              >
                <Avatar name={name} size={48} />
                <span class="row-main">
                  <span class="row-top">
                    <span class="row-name">{name}</span>
                    {time > 0 && <span class="row-time">{listTime(time, now)}</span>}
                  </span>
                  <span class="row-bottom">
                    <span class="row-preview">
                      {status && <StatusIcon status={status} />}
                      <span class="preview-text">{preview || (c.last_seq === 0 ? 'No messages yet' : '')}</span>
                    </span>
                    {unread > 0 && (
                      <span class="badge" aria-hidden="true">
                        {unread > 999 ? '999+' : unread}
                      </span>
                    )}
                  </span>
                </span>
              </a>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
