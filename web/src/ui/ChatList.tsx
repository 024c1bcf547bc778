import { useEffect, useRef } from 'preact/hooks';
import { conversationName, listTime } from '../core/format';
import { typingText } from '../core/typing';
import { isGroup, photoPreview, previewText } from '../core/groups';
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
  const navRef = useRef<HTMLElement>(null);
  const observer = useRef<IntersectionObserver | null>(null);
  const visible = useRef(new Set<number>());
  const reported = useRef('');

  // Tell the client which rows are on screen, for the presence subscription.
  function report() {
    const present = new Set(convs.map((c) => c.id));
    const ids = [...visible.current].filter((id) => present.has(id)).sort((a, b) => a - b);
    const key = ids.join(',');
    if (key === reported.current) return;
    reported.current = key;
    client.setVisibleConversations(ids);
  }
  useEffect(() => {
    if (typeof IntersectionObserver === 'undefined') return;
    observer.current = new IntersectionObserver((entries) => {
      for (const e of entries) {
        const id = Number((e.target as HTMLElement).dataset.conversation);
        if (e.isIntersecting) visible.current.add(id);
        else visible.current.delete(id);
      }
      report();
    });
    return () => {
      observer.current?.disconnect();
      observer.current = null;
    };
  }, []);
  useEffect(() => {
    const o = observer.current;
    if (!o) {
      // No IntersectionObserver: treat the first rows as the visible ones.
      visible.current = new Set(convs.slice(0, 30).map((c) => c.id));
    } else {
      navRef.current?.querySelectorAll('.chat-row').forEach((el) => o.observe(el));
    }
    report();
  });

  if (convs.length === 0) {
    return (
      <p class="muted pad" role="status">
        No chats yet. Type a username above to start one.
      </p>
    );
  }

  return (
    <nav class="chat-list" aria-label="Recent chats" ref={navRef}>
      <ul>
        {convs.map((c) => {
          const group = isGroup(c);
          const peer = client.directPeer(c.id);
          const name = peer ? client.nameOf(peer) : conversationName(c, me);
          const online = !!peer && !!client.presence.get(peer.id)?.online;
          const typing = typingText(
            client.typers(c.id).map((u) => client.nameOf(u)),
            !peer,
          );
          const pending = pendingByConv.get(c.id)?.at(-1);
          const unread = store.unread(c.id);
          let preview = '';
          let status = null as ReturnType<typeof storedStatus> | null;
          let time = c.last_seq > 0 ? c.last_activity : 0;
          if (pending) {
            preview = pending.image ? photoPreview(pending.text) : pending.text;
            status = pendingStatus(pending);
            time = Math.max(time, pending.created_at);
          } else {
            // The last message, or the one before it when the user deleted it for themselves.
            const lm = store.previewMessage(c.id);
            if (lm) {
              preview = previewText(c, lm, me);
              if (lm.sender_id === me && lm.kind !== 'system' && !lm.deleted) status = messageStatus(c, lm.seq, lm.ts, me);
            }
          }
          const selected = c.id === openId;
          const label = `${name}${online ? ', online' : ''}${unread ? `, ${unread} unread message${unread === 1 ? '' : 's'}` : ''}`;
          return (
            <li key={c.id}>
              <a
                href={`/c/${c.id}`}
                class={`chat-row${selected ? ' selected' : ''}${unread ? ' has-unread' : ''}`}
                aria-current={selected ? 'page' : undefined}
                aria-label={label}
                data-conversation={c.id}
                data-kind={group ? 'group' : 'direct'}
                onClick={(e) => {
                  e.preventDefault();
                  onOpen(c.id);
                }}
              >
                <span class="avatar-wrap">
                  <Avatar name={name} seed={peer ? `u${peer.id}` : `c${c.id}`} size={48} />
                  {online && <span class="online-dot" aria-hidden="true" />}
                </span>
                <span class="row-main">
                  <span class="row-top">
                    <span class="row-name">{name}</span>
                    {time > 0 && <span class="row-time">{listTime(time, now)}</span>}
                  </span>
                  <span class="row-bottom">
                    {typing && !c.left ? (
                      <span class="row-preview">
                        <span class="preview-text typing">{typing}</span>
                      </span>
                    ) : (
                      <span class="row-preview">
                        {status && <StatusIcon status={status} />}
                        <span class={`preview-text${store.previewMessage(c.id)?.deleted && !pending ? ' deleted' : ''}`}>{preview || (c.last_seq === 0 ? 'No messages yet' : '')}</span>
                      </span>
                    )}
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
