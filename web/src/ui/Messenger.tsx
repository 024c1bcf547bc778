import { useEffect, useLayoutEffect, useReducer, useRef, useState } from 'preact/hooks';
import { conversationName, titleFor } from '../core/format';
import { previewText } from '../core/groups';
import type { ParleyClient, Session } from '../platform/client';
import { firstScreenShown, startClient } from './startup';
import { ChatList } from './ChatList';
import { ChatView } from './ChatView';
import { MainMenu } from './MainMenu';
import { ShortcutsDialog } from './ShortcutsDialog';
import { useFaviconBadge } from './favicon';
import { neighbourChat, shortcutFor } from '../core/shortcuts';
import { MessageSearch } from './MessageSearch';
import { AppIcon, Avatar, SettingsIcon } from './icons';
import { NewChat } from './NewChat';
import { Settings } from './Settings';
import { CallHost } from './callsEntry';

function routeConversation(): number | null {
  const m = /^\/c\/(\d+)\/?$/.exec(location.pathname);
  return m ? Number(m[1]) : null;
}

export function Messenger({ session, onSignedOut }: { session: Session; onSignedOut: () => void }) {
  const [client, setClient] = useState<ParleyClient | null>(null);
  const [failure, setFailure] = useState('');
  const [, rerender] = useReducer((n: number, _: number) => n + 1, 0);
  const [openId, setOpenId] = useState<number | null>(routeConversation);
  const [visible, setVisible] = useState(document.visibilityState === 'visible');
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [searching, setSearching] = useState(false);
  const [shortcutsOpen, setShortcutsOpen] = useState(false);
  /** A message to show in the open chat (a search result); key changes for each request. */
  const [focus, setFocus] = useState<{ id: number; seq: number; key: number } | null>(null);
  const [notifPerm, setNotifPerm] = useState<string>('Notification' in window ? Notification.permission : 'unsupported');

  // Usually started before the first render (ui/startup.ts); otherwise (after a log in) right
  // after it, not after the next paint.
  useLayoutEffect(() => {
    let c: ParleyClient | null = null;
    let cancelled = false;
    startClient(session).then(
      (cl) => {
        if (cancelled) return cl.close();
        c = cl;
        cl.onSignedOut = onSignedOut;
        cl.subscribe(() => rerender(0));
        setClient(cl);
      },
      (e) => setFailure(String(e?.message ?? e)),
    );
    return () => {
      cancelled = true;
      c?.close();
    };
  }, [session.token]);

  useEffect(() => {
    const onPop = () => setOpenId(routeConversation());
    const onVis = () => setVisible(document.visibilityState === 'visible');
    const onSwMsg = (e: MessageEvent) => {
      if (e.data?.type === 'open' && typeof e.data.url === 'string') {
        history.pushState(null, '', e.data.url);
        onPop();
      }
    };
    window.addEventListener('popstate', onPop);
    document.addEventListener('visibilitychange', onVis);
    navigator.serviceWorker?.addEventListener('message', onSwMsg);
    return () => {
      window.removeEventListener('popstate', onPop);
      document.removeEventListener('visibilitychange', onVis);
      navigator.serviceWorker?.removeEventListener('message', onSwMsg);
    };
  }, []);

  useEffect(() => {
    client?.setView(openId, visible);
  }, [client, openId, visible]);

  // The first screen is up once chats are drawn, or there are none to draw (the first sync
  // ended, or no connection): the service worker registers after it (ui/startup.ts).
  const firstScreenDone = !!client && (client.store.conversationCount() > 0 || client.connState === 'offline' || (client.connState === 'online' && !client.syncing));
  useEffect(() => {
    if (firstScreenDone) firstScreenShown();
  }, [firstScreenDone]);

  // Notifications for messages arriving while the tab is hidden.
  // Same tag as a push for the chat (docs/protocol.md, "Web Push payload"), so the two replace each other.
  useEffect(() => {
    if (!client) return;
    client.onIncoming = (m, conv) => {
      if (document.visibilityState !== 'hidden') return;
      if (!('Notification' in window) || Notification.permission !== 'granted') return;
      const peer = client.store.peer(m.conversation_id);
      const title = conv?.kind === 'group' ? conversationName(conv, session.user.id) : peer ? client.nameOf(peer) : 'Parley';
      const body = conv ? previewText(conv, m, session.user.id) : m.kind === 'text' ? m.text : 'Unsupported message';
      try {
        const n = new Notification(title, { body, tag: `c${m.conversation_id}`, icon: '/icon.svg', data: { url: `/c/${m.conversation_id}` } });
        n.onclick = () => {
          window.focus();
          open(m.conversation_id);
          n.close();
        };
      } catch {
        // Some browsers only allow notifications from a service worker.
        void navigator.serviceWorker?.ready.then((reg) =>
          reg.showNotification(title, { body, tag: `c${m.conversation_id}`, icon: '/icon.svg', data: { url: `/c/${m.conversation_id}` } }),
        );
      }
    };
  }, [client]);

  const unread = client ? client.store.totalUnread() : 0;
  useEffect(() => {
    document.title = titleFor(unread);
  }, [unread]);
  useFaviconBadge(unread);

  function open(id: number | null, keepFocus = false) {
    // Opening a chat normally (not from a search result) shows its newest messages.
    if (!keepFocus) setFocus(null);
    if (id === openId) return;
    if (id === null) {
      if (history.state?.fromList) history.back();
      else history.replaceState(null, '', '/');
      setOpenId(null);
      return;
    }
    if (openId === null) history.pushState({ fromList: true }, '', `/c/${id}`);
    else history.replaceState(history.state, '', `/c/${id}`);
    setOpenId(id);
  }

  // App-wide keyboard shortcuts (core/shortcuts.ts). Registered once and reading the current
  // render's values through a ref: a key pressed right after a chat opened must see that chat.
  const current = useRef({ client, openId, open });
  current.current = { client, openId, open };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const { client, openId, open } = current.current;
      if (e.defaultPrevented || document.querySelector('dialog[open]')) return;
      const t = e.target as HTMLElement | null;
      const inText = !!t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.isContentEditable);
      const action = shortcutFor(e, inText);
      if (!action || !client) return;
      e.preventDefault();
      if (action === 'search') {
        setSettingsOpen(false);
        if (openId !== null && window.matchMedia('(max-width: 720px)').matches) open(null);
        requestAnimationFrame(() => document.getElementById('search-all')?.focus());
      } else if (action === 'help') {
        setShortcutsOpen(true);
      } else {
        const order = client.store.sortedConversations().map((c) => c.id);
        const next = neighbourChat(order, openId, action === 'next-chat' ? 1 : -1);
        if (next !== null) open(next);
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  function openMessage(id: number, seq: number) {
    setFocus((f) => ({ id, seq, key: (f?.key ?? 0) + 1 }));
    // A result from a chat this device does not know yet (its list is still syncing).
    if (client && !client.store.conversation(id)) void client.refreshConversation(id).catch(() => undefined);
    open(id, true);
  }

  async function logout() {
    await client?.logout();
    onSignedOut();
  }

  function askNotifications() {
    if (!('Notification' in window)) return;
    void Notification.requestPermission().then(setNotifPerm, () => undefined);
  }

  if (failure) {
    return (
      <main class="fatal" role="alert">
        <p>Parley could not open its local storage: {failure}</p>
      </main>
    );
  }

  const conn = client?.connState ?? 'connecting';
  const openConv = client && openId !== null ? client.store.conversation(openId) : undefined;

  return (
    <div class={`shell ${openId !== null ? 'has-chat' : 'no-chat'}`}>
      <aside class="sidebar" aria-label="Chats">
        {client && settingsOpen ? (
          <Settings
            client={client}
            onClose={() => {
              setSettingsOpen(false);
              requestAnimationFrame(() => document.getElementById('settings-button')?.focus({ preventScroll: true }));
            }}
            onOpenChat={(id) => {
              setSettingsOpen(false);
              open(id);
            }}
            onAccountDeleted={onSignedOut}
          />
        ) : (
        <>
        <header class="bar sidebar-bar">
          <Avatar name={session.user.display_name} seed={`u${session.user.id}`} />
          <div class="me">
            <span class="me-name">{session.user.display_name}</span>
            <span class="me-user">@{session.user.username}</span>
          </div>
          <button
            type="button"
            id="settings-button"
            class="icon-button"
            aria-label="Settings and contacts"
            title="Settings and contacts"
            onClick={() => setSettingsOpen(true)}
            disabled={!client}
          >
            <SettingsIcon />
          </button>
          <MainMenu onLogout={logout} onShortcuts={() => setShortcutsOpen(true)} />
        </header>
        {conn !== 'online' && (
          <div class="banner banner-offline" role="status" data-conn={conn}>
            {conn === 'connecting' ? 'Connecting…' : 'You are offline. Messages will be sent when the connection returns.'}
          </div>
        )}
        {client?.syncing && conn === 'online' && (
          <div class="banner banner-sync" role="status">
            Updating…
          </div>
        )}
        {notifPerm === 'default' && (
          <div class="banner banner-notify">
            <span>Get notified of new messages.</span>
            <button type="button" class="text-button" onClick={askNotifications}>
              Turn on notifications
            </button>
          </div>
        )}
        {client && <MessageSearch client={client} onOpen={openMessage} onActive={setSearching} onOpenChat={(id) => open(id)} />}
        {client && !searching && <NewChat client={client} onOpen={open} />}
        {client ? (
          !searching && <ChatList client={client} openId={openId} onOpen={open} />
        ) : (
          <p class="muted pad" role="status">
            Loading…
          </p>
        )}
        </>
        )}
      </aside>
      <main class="main" aria-label="Conversation">
        {client && openId !== null && openConv ? (
          <ChatView
            key={openId}
            client={client}
            conversationId={openId}
            onBack={() => open(null)}
            focusSeq={focus?.id === openId ? focus.seq : undefined}
            focusKey={focus?.id === openId ? focus.key : undefined}
          />
        ) : client && openId !== null ? (
          <div class="empty">
            <p role="status">This chat is not available on this device.</p>
            <button type="button" class="text-button" onClick={() => open(null)}>
              Back to chats
            </button>
          </div>
        ) : (
          <div class="empty">
            <AppIcon size={96} />
            <h2>Parley for the web</h2>
            <p class="muted">Pick a chat on the left, start a new one by username, or create a group.</p>
          </div>
        )}
      </main>
      {shortcutsOpen && <ShortcutsDialog onClose={() => setShortcutsOpen(false)} />}
      {client && <CallHost client={client} />}
    </div>
  );
}
