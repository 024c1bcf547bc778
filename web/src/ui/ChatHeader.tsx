import { useEffect, useRef, useState } from 'preact/hooks';
import type { RefObject } from 'preact';
import { isGroup } from '../core/groups';
import { lastSeenText } from '../core/presence';
import { typingText } from '../core/typing';
import type { Conversation, User } from '../core/types';
import type { ParleyClient } from '../platform/client';
import { startCall } from './callsEntry';
import { ChatStateItems } from './ChatStateItems';
import { Avatar, BackIcon, InfoIcon, MenuIcon, PhoneIcon, SearchIcon, VideoIcon } from './icons';
import { useMenu } from './menu';

export type Panel = { type: 'group' } | { type: 'contact' } | { type: 'message'; seq: number } | { type: 'search' } | { type: 'media' } | null;

/** The dialogs the chat menu opens. */
export type ChatDialog = 'contact' | 'block' | 'unblock';

/** True while the window is phone-sized (the layout's breakpoint). */
function useNarrow(): boolean {
  const query = '(max-width: 720px)';
  const [narrow, setNarrow] = useState(() => window.matchMedia(query).matches);
  useEffect(() => {
    const m = window.matchMedia(query);
    const on = () => setNarrow(m.matches);
    m.addEventListener('change', on);
    return () => m.removeEventListener('change', on);
  }, []);
  return narrow;
}

function MenuItem({ onClick, danger, children }: { onClick: () => void; danger?: boolean; children: string }) {
  return (
    <li role="none">
      <button type="button" role="menuitem" tabIndex={-1} class={danger ? 'danger' : undefined} onClick={onClick}>
        {children}
      </button>
    </li>
  );
}

/**
 * The bar above an open chat: back, the chat's name with its presence or typing line (a click
 * opens its info panel), call buttons in direct chats, search, the chat menu and the info button.
 */
export function ChatHeader({
  client,
  conv,
  peer,
  name,
  panel,
  setPanel,
  closePanel,
  infoButtonRef,
  menuButtonRef,
  onBack,
  onDialog,
}: {
  client: ParleyClient;
  conv: Conversation;
  peer: User | undefined;
  name: string;
  panel: Panel;
  setPanel: (p: Panel) => void;
  closePanel: () => void;
  infoButtonRef: RefObject<HTMLButtonElement>;
  /** The menu button: the dialogs it opens give the focus back to it. */
  menuButtonRef: RefObject<HTMLButtonElement>;
  onBack: () => void;
  onDialog: (d: ChatDialog) => void;
}) {
  const conversationId = conv.id;
  const group = isGroup(conv);
  const direct = !group && conv.members.length <= 2;
  const typingLine = typingText(client.typers(conversationId).map((u) => client.nameOf(u)), !direct);
  const presenceLine = direct && peer ? lastSeenText(client.presence.get(peer.id)) : '';
  // Calls are for direct chats only (docs/protocol.md, "Calls"), and need the connection.
  const callable = direct && !!peer && !conv.left;
  const offline = client.connState !== 'online';
  // On a phone the call buttons take the search button's place in the header; search moves to the menu.
  const searchInMenu = useNarrow() && callable;
  const [menuOpen, setMenuOpen] = useState(false);
  const menuRef = useRef<HTMLUListElement>(null);
  const menuKey = useMenu(menuOpen, () => setMenuOpen(false), menuRef, menuButtonRef);
  const muted = (conv.muted_until ?? 0) > Date.now();

  function mute(duration: '8h' | '1w' | 'always' | 'off') {
    setMenuOpen(false);
    void client.mute(conversationId, duration).catch(() => undefined);
    requestAnimationFrame(() => menuButtonRef.current?.focus({ preventScroll: true }));
  }

  function pick(d: ChatDialog) {
    setMenuOpen(false);
    onDialog(d);
  }

  const infoType = group ? 'group' : 'contact';
  return (
    <header class="bar chat-bar">
      <button type="button" class="icon-button back" onClick={onBack} aria-label="Back to chats">
        <BackIcon />
      </button>
      <Avatar name={name} seed={direct && peer ? `u${peer.id}` : `c${conversationId}`} />
      <div
        class={`chat-heading${group || (direct && peer) ? ' clickable' : ''}`}
        onClick={group ? () => setPanel({ type: 'group' }) : direct && peer ? () => setPanel({ type: 'contact' }) : undefined}
      >
        <h2 id="chat-title">{name}</h2>
        <p class={`chat-sub${typingLine ? ' typing' : ''}`} id="chat-sub" data-slot="presence" aria-live="polite">
          {typingLine && !conv.left
            ? typingLine
            : group
              ? conv.left
                ? "You're no longer a member"
                : `${conv.member_count ?? conv.roster?.length ?? 0} member${(conv.member_count ?? 0) === 1 ? '' : 's'}`
              : peer && direct
                ? presenceLine
                : `${conv.members.length} members`}
        </p>
      </div>
      {callable && (
        <>
          <button type="button" class="icon-button" aria-label="Voice call" title="Voice call" disabled={offline}
            onClick={() => startCall(client, conversationId, peer!.id, 'audio')}>
            <PhoneIcon />
          </button>
          <button type="button" class="icon-button" aria-label="Video call" title="Video call" disabled={offline}
            onClick={() => startCall(client, conversationId, peer!.id, 'video')}>
            <VideoIcon />
          </button>
        </>
      )}
      {!searchInMenu && (
        <button
          type="button"
          class="icon-button"
          aria-label="Search in chat"
          title="Search in chat"
          aria-expanded={panel?.type === 'search'}
          aria-controls={panel ? 'side-panel' : undefined}
          onClick={() => (panel?.type === 'search' ? closePanel() : setPanel({ type: 'search' }))}
        >
          <SearchIcon />
        </button>
      )}
      {!conv.left && (
        <div class="menu-wrap">
          <button
            type="button"
            class="icon-button"
            ref={menuButtonRef}
            aria-label="Chat menu"
            aria-haspopup="menu"
            aria-expanded={menuOpen}
            aria-controls={menuOpen ? 'chat-menu' : undefined}
            onClick={() => setMenuOpen(!menuOpen)}
          >
            <MenuIcon />
          </button>
          {menuOpen && (
            <ul class="menu" id="chat-menu" role="menu" aria-label="Chat menu" ref={menuRef} onKeyDown={menuKey}>
              {searchInMenu && (
                <MenuItem onClick={() => { setMenuOpen(false); setPanel({ type: 'search' }); }}>Search in chat</MenuItem>
              )}
              <ChatStateItems client={client} conv={conv} onDone={() => setMenuOpen(false)} />
              {muted ? (
                <MenuItem onClick={() => mute('off')}>Unmute notifications</MenuItem>
              ) : (
                ([['8h', 'Mute for 8 hours'], ['1w', 'Mute for 1 week'], ['always', 'Mute always']] as const).map(([d, label]) => (
                  <MenuItem key={d} onClick={() => mute(d)}>{label}</MenuItem>
                ))
              )}
              {direct && peer && (
                <>
                  <MenuItem onClick={() => pick('contact')}>{client.contacts.has(peer.id) ? 'Edit contact' : 'Add to contacts'}</MenuItem>
                  <MenuItem danger onClick={() => pick(client.isBlocked(peer.id) ? 'unblock' : 'block')}>
                    {client.isBlocked(peer.id) ? 'Unblock' : 'Block'}
                  </MenuItem>
                </>
              )}
            </ul>
          )}
        </div>
      )}
      {(group || (direct && peer)) && (
        <button
          type="button"
          class="icon-button"
          ref={infoButtonRef}
          aria-label={group ? 'Group info' : 'Contact info'}
          aria-expanded={panel?.type === infoType}
          aria-controls={panel ? 'side-panel' : undefined}
          onClick={() => (panel?.type === infoType ? closePanel() : setPanel({ type: infoType }))}
        >
          <InfoIcon />
        </button>
      )}
    </header>
  );
}
