import { useEffect, useRef, useState } from 'preact/hooks';
import { conversationName, listTime } from '../core/format';
import { typingText } from '../core/typing';
import { isGroup, photoPreview, previewText } from '../core/groups';
import { messageStatus, pendingStatus, storedStatus } from '../core/status';
import type { ParleyClient } from '../platform/client';
import { Avatar, StatusIcon } from './icons';
import { arrangeChats } from '../core/chatstate';
import './chatstate.css';

/** Beyond this many chats only the rows in view (and a margin) are in the page. */
const WINDOW_FROM = 60;
const OVERSCAN = 10;
/** Height of one row before one was measured (avatar 48 + padding 20 + border 1). */
const ROW_GUESS = 69;

export function ChatList({ client, openId, onOpen }: { client: ParleyClient; openId: number | null; onOpen: (id: number) => void }) {
  const { store, outbox } = client;
  const me = client.session.user.id;
  const pendingByConv = new Map<number, ReturnType<typeof outbox.all>>();
  for (const e of outbox.all()) {
    const l = pendingByConv.get(e.conversation_id) ?? [];
    l.push(e);
    pendingByConv.set(e.conversation_id, l);
  }
  const [archivedView, setArchivedView] = useState(false);
  const arranged = arrangeChats(store.sortedConversations((id) => pendingByConv.get(id)?.at(-1)?.created_at), archivedView);
  const convs = arranged.list;
  const now = Date.now();
  const navRef = useRef<HTMLElement>(null);
  const observer = useRef<IntersectionObserver | null>(null);
  const visible = useRef(new Set<number>());
  const reported = useRef('');
  const rowHeight = useRef(ROW_GUESS);
  const [view, setView] = useState({ top: 0, height: 900 });
  // The row a press (mouse, pen or touch) began on, and where it was. The list re-sorts when a
  // message arrives, also while the button is down: the release then lands on another row, and
  // the browser sends no click to the pressed one, so nothing opened. When the pressed row
  // moved under the pointer, the release opens it; a press the user drags off a row that
  // stayed put still opens nothing.
  const pressed = useRef<{ id: number; top: number } | null>(null);
  const rowAt = (t: EventTarget | null) => (t instanceof Element ? t.closest<HTMLElement>('.chat-row') : null);
  function onPointerDown(e: PointerEvent) {
    const row = e.button === 0 ? rowAt(e.target) : null;
    pressed.current = row ? { id: Number(row.dataset.conversation), top: row.getBoundingClientRect().top } : null;
  }
  function onPointerUp(e: PointerEvent) {
    const p = pressed.current;
    pressed.current = null;
    if (!p || e.button !== 0) return;
    if (Number(rowAt(e.target)?.dataset.conversation) === p.id) return; // its own click follows
    const row = navRef.current?.querySelector<HTMLElement>(`.chat-row[data-conversation="${p.id}"]`);
    if (row && row.getBoundingClientRect().top !== p.top) onOpen(p.id);
  }
  const windowed = convs.length > WINDOW_FROM;
  const first = windowed ? Math.max(0, Math.floor(view.top / rowHeight.current) - OVERSCAN) : 0;
  const last = windowed ? Math.min(convs.length, Math.ceil((view.top + view.height) / rowHeight.current) + OVERSCAN) : convs.length;
  function onScroll() {
    const el = navRef.current;
    if (!el || !windowed) return;
    const row = el.querySelector<HTMLElement>('li');
    if (row && row.offsetHeight > 0) rowHeight.current = row.offsetHeight;
    const top = el.scrollTop;
    const height = el.clientHeight || 900;
    // Re-render only when the rendered slice would change.
    const h = rowHeight.current;
    if (Math.floor(top / h) !== Math.floor(view.top / h) || height !== view.height) setView({ top, height });
  }

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

  // Into and out of the archived chats; shown while there are any (or while in that view).
  const archiveToggle = (arranged.archived > 0 || archivedView) && (
    <button type="button" class="archive-toggle" aria-pressed={archivedView} onClick={() => setArchivedView(!archivedView)}>
      {archivedView ? 'Back to chats' : `Archived (${arranged.archived})`}
    </button>
  );

  if (convs.length === 0 && archiveToggle) return <nav class="chat-list" aria-label="Recent chats">{archiveToggle}</nav>;
  if (convs.length === 0) {
    return (
      <p class="muted pad" role="status">
        No chats yet. Type a username above to start one.
      </p>
    );
  }

  return (
    <nav
      class="chat-list"
      aria-label={archivedView ? 'Archived chats' : 'Recent chats'}
      ref={navRef}
      onScroll={onScroll}
      onPointerDown={onPointerDown}
      onPointerUp={onPointerUp}
      onPointerCancel={() => (pressed.current = null)}
    >
      {archiveToggle}
      <ul
        class={windowed ? undefined : 'all-rows'}
        style={windowed ? { paddingTop: `${first * rowHeight.current}px`, paddingBottom: `${(convs.length - last) * rowHeight.current}px` } : undefined}
      >
        {convs.slice(first, last).map((c) => {
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
          return (
            <li key={c.id}>
              <a
                href={`/c/${c.id}`}
                class={`chat-row${selected ? ' selected' : ''}${unread ? ' has-unread' : ''}`}
                aria-current={selected ? 'page' : undefined}
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
                    {/* elementtiming: the browser records when the first names are painted (the heavy-user bench reads it). */}
                    <span class="row-name" elementtiming="chat-list">
                      {name}
                    </span>
                    {/* The link's name is its visible text (WCAG 2.5.3), plus what only the dot and the badge show. */}
                    {online && <span class="visually-hidden">, online</span>}
                    {c.pinned_at != null && <span class="pin-mark">Pinned</span>}
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
                      <span class="badge">
                        <span class="visually-hidden">, </span>
                        {unread > 999 ? '999+' : unread}
                        <span class="visually-hidden"> unread message{unread === 1 ? '' : 's'}</span>
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
