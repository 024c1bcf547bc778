import { Fragment } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { clockTime, conversationName, dayLabel, sameDay } from '../core/format';
import { isGroup, nameIn, senderColourVar, systemEvent, systemText } from '../core/groups';
import { messageStatus, pendingStatus } from '../core/status';
import { lastSeenText } from '../core/presence';
import { typingText } from '../core/typing';
import { DELETED_TEXT, canEdit } from '../core/edits';
import type { FileInfo, ImageInfo, Message, MessageStatus, SystemEvent, VideoInfo, VoiceInfo } from '../core/types';
import { callRecord, missedCall } from '../core/callhistory';
import { startCall } from './callsEntry';
import { ACCEPTED_TYPES, VIDEO_TYPES, fileErrorText, fileUploadProblem, formatSize, isPhotoFile, isVideoFile, uploadErrorText, uploadProblem, videoErrorText, videoUploadProblem } from '../core/media';
import { FileBubble, RecordButton, VideoBubble, VoiceBubble } from './Attachments';
import type { ParleyClient } from '../platform/client';
import { BlockDialog, ContactDialog } from './ContactDialog';
import { GroupInfo } from './GroupInfo';
import { AttachIcon, Avatar, BackIcon, InfoIcon, MenuIcon, PhoneIcon, SearchIcon, SendIcon, StatusIcon, VideoIcon } from './icons';
import { DeleteDialog, longPress, MessageActions, MessageEditor } from './MessageActions';
import { useMenu } from './menu';
import { PhotoBubble, PhotoViewer, UploadBubble } from './Photo';
import { MessageText } from './MessageText';
import { JumpToNewest, UnreadDivider } from './ChatMarkers';
import { MessageInfo } from './MessageInfo';
import { MessageSearch } from './MessageSearch';
import { SidePanel } from './SidePanel';
import { ChatMedia } from './ChatMedia';
import { ReplyBar, ReplyQuote } from './ReplyQuote';
import { ReactionChips, ReactionPicker } from './Reactions';
import { ForwardDialog } from './ForwardDialog';
import { ChatStateItems } from './ChatStateItems';
import { ContactInfo } from './ContactInfo';

interface Row {
  key: string;
  text: string;
  kind: string;
  mine: boolean;
  sender: number;
  ts: number;
  seq?: number;
  status?: MessageStatus;
  clientId?: string;
  /** Why an unsent message failed (the outbox error code). */
  error?: string;
  /** The line a system message shows. */
  system?: string;
  /** A call-history line: its system event (docs/protocol.md, "Calls"). */
  callEvent?: SystemEvent;
  /** The stored message (sent messages only). */
  message?: Message;
  deleted?: boolean;
  edited?: boolean;
  /** A photo message (text is its caption). */
  image?: ImageInfo;
  /** A document message (text is its caption). */
  file?: FileInfo;
  /** A voice message. */
  voice?: VoiceInfo;
  /** A video message (text is its caption). */
  video?: VideoInfo;
  /** A photo still uploading: its local upload id. */
  upload?: number;
  /** A reply: the seq it quotes. */
  replyTo?: number;
}

type Panel = { type: 'group' } | { type: 'contact' } | { type: 'message'; seq: number } | { type: 'search' } | { type: 'media' } | null;

/** Rows drawn at first, and added each time the user scrolls up to the top of what is drawn. */
const RENDER_STEP = 100;
/** How long a message jumped to (a search result, a quote) stays highlighted once on screen. */
const HIGHLIGHT_MS = 4000;

export function ChatView({
  client,
  conversationId,
  onBack,
  focusSeq,
  focusKey,
}: {
  client: ParleyClient;
  conversationId: number;
  onBack: () => void;
  /** A message to scroll to and highlight (a search result); focusKey changes for each request. */
  focusSeq?: number;
  focusKey?: number;
}) {
  const { store, outbox } = client;
  const me = client.session.user.id;
  const conv = store.conversation(conversationId)!;
  const peer = store.peer(conversationId);
  const group = isGroup(conv);
  const direct = !group && conv.members.length <= 2;
  const name = direct && peer ? client.nameOf(peer) : conversationName(conv, me);
  const typers = client.typers(conversationId);
  const typingLine = typingText(
    typers.map((u) => client.nameOf(u)),
    !direct,
  );
  const presenceLine = direct && peer ? lastSeenText(client.presence.get(peer.id)) : '';
  // Calls are for direct chats only (docs/protocol.md, "Calls"), and need the connection.
  const callable = direct && !!peer && !conv.left;
  const offline = client.connState !== 'online';
  // On a phone the call buttons take the search button's place in the header; search moves to the menu.
  const narrow = useNarrow();
  const searchInMenu = narrow && callable;
  const [menuOpen, setMenuOpen] = useState(false);
  const [dialog, setDialog] = useState<'contact' | 'block' | 'unblock' | null>(null);
  const menuButtonRef = useRef<HTMLButtonElement>(null);
  const menuRef = useRef<HTMLUListElement>(null);
  const memberName = (id: number) => nameIn(conv, id);
  const [panel, setPanel] = useState<Panel>(null);
  const infoButtonRef = useRef<HTMLButtonElement>(null);
  const listRef = useRef<HTMLDivElement>(null);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const [draft, setDraftState] = useState(() => client.drafts.get(conversationId));
  const setDraft = (text: string) => {
    setDraftState(text);
    client.drafts.set(conversationId, text);
  };
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [olderError, setOlderError] = useState('');
  const [viewing, setViewing] = useState<{ image: ImageInfo; caption: string } | null>(null);
  const [dragging, setDragging] = useState(false);
  const [photoError, setPhotoError] = useState('');
  const fileRef = useRef<HTMLInputElement>(null);
  const docRef = useRef<HTMLInputElement>(null);
  const stick = useRef(true);
  const anchor = useRef<{ seq: number; offset: number } | null>(null);
  const [menuSeq, setMenuSeq] = useState<number | null>(null);
  const [editSeq, setEditSeq] = useState<number | null>(null);
  const [deleteSeq, setDeleteSeq] = useState<number | null>(null);
  const [replySeq, setReplySeq] = useState<number | null>(null);
  const [reactSeq, setReactSeq] = useState<number | null>(null);
  const [forwardSeq, setForwardSeq] = useState<number | null>(null);
  const [focus, setFocus] = useState<{ seq: number; key: number } | null>(null);
  const [highlight, setHighlight] = useState<number | null>(null);
  const highlightTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const scrollTo = useRef<number | null>(null);
  // How many of the newest rows are in the page. A chat can hold thousands of messages; only
  // the newest are drawn at first, and more as the user scrolls up (before asking the server).
  const [limit, setLimit] = useState(RENDER_STEP);
  // Where the unread messages began when the chat was opened: the divider stays there while
  // the chat is open, even though opening it marks them read.
  const [unreadFrom] = useState(() => {
    const read = store.myMember(conversationId)?.read_seq ?? 0;
    return conv.last_seq > read ? read : null;
  });
  const openedAtUnread = useRef(false);
  // Scrolled up: the jump-to-bottom button shows, with the number of messages from others
  // that arrived since (those beyond the newest seq held when the user left the bottom).
  const [awayFrom, setAwayFrom] = useState<number | null>(null);

  const rows: Row[] = store.messages(conversationId).filter((m) => !m.hidden).map((m) => {
    if (m.kind === 'system') {
      const ev = systemEvent(m);
      return {
        key: `s${m.seq}`,
        text: '',
        kind: m.kind,
        mine: false,
        sender: 0,
        ts: m.ts,
        seq: m.seq,
        system: ev ? systemText(ev, me, memberName) : 'Unsupported message',
        callEvent: callRecord(ev) ? ev! : undefined,
      };
    }
    const photo = m.kind === 'image' && m.image ? m.image : undefined;
    const file = m.kind === 'file' && m.file && !m.deleted ? m.file : undefined;
    const voice = m.kind === 'voice' && m.voice && !m.deleted ? m.voice : undefined;
    const video = m.kind === 'video' && m.video && !m.deleted ? m.video : undefined;
    return {
      key: `s${m.seq}`,
      file,
      voice,
      video,
      text: m.deleted ? DELETED_TEXT : m.kind === 'text' || photo || file || video ? m.text : voice ? '' : 'Unsupported message',
      message: m,
      deleted: !!m.deleted,
      edited: m.edited_at !== undefined && !m.deleted,
      image: m.deleted ? undefined : photo,
      kind: m.deleted ? m.kind : photo ? 'image' : file ? 'file' : voice ? 'voice' : video ? 'video' : ['image', 'file', 'voice', 'video'].includes(m.kind) ? 'unsupported' : m.kind,
      mine: m.sender_id === me,
      sender: m.sender_id,
      ts: m.ts,
      seq: m.seq,
      status: m.sender_id === me ? messageStatus(conv, m.seq, m.ts, me) : undefined,
      clientId: m.client_id,
      replyTo: m.deleted ? undefined : m.reply_to,
    };
  });
  const acked = new Set(rows.map((r) => r.clientId));
  for (const e of outbox.forConversation(conversationId)) {
    if (acked.has(e.client_id)) continue;
    rows.push({ key: `p${e.client_id}`, text: e.text, kind: e.image ? 'image' : e.file ? 'file' : e.voice ? 'voice' : e.video ? 'video' : 'text', image: e.image, file: e.file, voice: e.voice, video: e.video, mine: true, sender: me, ts: e.created_at, status: pendingStatus(e), clientId: e.client_id, error: e.error, replyTo: e.reply_to });
  }
  const uploads = client.uploads.filter((u) => u.conversation_id === conversationId);
  for (const u of uploads) {
    rows.push({ key: `u${u.id}`, text: u.caption, kind: u.kind ?? 'image', mine: true, sender: me, ts: u.created_at, upload: u.id });
  }

  async function loadOlder() {
    if (loadingOlder || !client.hasOlder(conversationId)) return;
    // Remember where the oldest shown message is, to keep it in place when older ones arrive above.
    holdAnchor();
    setLoadingOlder(true);
    setOlderError('');
    try {
      const before = client.store.minSeq(conversationId);
      const held = client.store.messages(conversationId).length;
      await client.loadOlder(conversationId);
      if (client.store.minSeq(conversationId) === before) anchor.current = null;
      // What arrived is drawn (the limit counts from the newest row).
      const added = client.store.messages(conversationId).length - held;
      if (added > 0) setLimit((l) => l + added);
    } catch {
      setOlderError('Older messages cannot be loaded while offline.');
      anchor.current = null;
    } finally {
      setLoadingOlder(false);
    }
  }

  useEffect(() => {
    if (focusSeq !== undefined) setFocus((f) => ({ seq: focusSeq, key: (f?.key ?? 0) + 1 }));
  }, [focusKey]);

  // A search result to show: load history back to it, then scroll to it and highlight it.
  // The highlight lasts HIGHLIGHT_MS from when the message is scrolled into view (below), not
  // from the request: loading history back to an old message can take longer than that.
  useEffect(() => {
    if (!focus) return;
    const seq = focus.seq;
    stick.current = false;
    scrollTo.current = seq;
    clearTimeout(highlightTimer.current);
    setHighlight(seq);
    // Loading emits a change, and the re-render scrolls to the message once it is there.
    void client.loadUntil(conversationId, seq).catch(() => undefined);
  }, [focus?.key]);
  useEffect(() => () => clearTimeout(highlightTimer.current), []);

  // Keep the view pinned to the bottom for new messages, and steady when older ones are added above.
  useLayoutEffect(() => {
    const el = listRef.current;
    if (!el) return;
    if (scrollTo.current !== null) {
      const at = rows.findIndex((r) => r.seq === scrollTo.current);
      if (at >= 0 && at < hiddenAbove) {
        setLimit(rows.length - at + RENDER_STEP / 2); // draw down to it; scrolled to on the next render
        return;
      }
      const target = el.querySelector<HTMLElement>(`.msg[data-seq="${scrollTo.current}"]`);
      if (target) {
        const seq = scrollTo.current;
        target.scrollIntoView({ block: 'center' });
        scrollTo.current = null;
        anchor.current = null;
        clearTimeout(highlightTimer.current);
        highlightTimer.current = setTimeout(() => setHighlight((h) => (h === seq ? null : h)), HIGHLIGHT_MS);
        return;
      }
    }
    // (Once the first unread message is held: right after a login it may still be loading.)
    if (!openedAtUnread.current && (unreadFrom === null || firstUnread >= 0)) {
      openedAtUnread.current = true;
      const divider = el.querySelector<HTMLElement>('.unread-divider');
      if (divider && divider.offsetTop < el.scrollHeight - el.clientHeight) {
        // Open at the first unread message, under its divider, unless it is in view at the bottom anyway.
        el.scrollTop = divider.offsetTop - 8;
        stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
        return;
      }
    }
    const first = el.querySelector<HTMLElement>('.msg[data-seq]');
    if (anchor.current && first && Number(first.dataset.seq) !== anchor.current.seq) {
      const old = el.querySelector<HTMLElement>(`.msg[data-seq="${anchor.current.seq}"]`);
      if (old) el.scrollTop = old.offsetTop - anchor.current.offset;
      anchor.current = null;
    } else if (anchor.current) {
      // Older messages not rendered yet: keep the anchor.
    } else if (stick.current) {
      el.scrollTop = el.scrollHeight;
    }
  });

  // If the first screen is not full, fetch older messages until it is (or there are none).
  useEffect(() => {
    const el = listRef.current;
    if (el && el.scrollHeight <= el.clientHeight + 40 && (hiddenAbove > 0 || (client.hasOlder(conversationId) && !loadingOlder && !olderError))) showOlder();
  });

  // The composer takes the focus in the task that shows the chat (a layout effect), not after
  // the next paint, where it would take it from whatever the user clicked or typed into meanwhile.
  useLayoutEffect(() => {
    inputRef.current?.focus({ preventScroll: true });
    return () => client.typingStop(conversationId);
  }, [conversationId]);

  // The header menu.
  const menuKey = useMenu(menuOpen, () => setMenuOpen(false), menuRef, menuButtonRef);

  const muted = (conv.muted_until ?? 0) > Date.now();

  function mute(duration: '8h' | '1w' | 'always' | 'off') {
    setMenuOpen(false);
    void client.mute(conversationId, duration).catch(() => undefined);
    requestAnimationFrame(() => menuButtonRef.current?.focus({ preventScroll: true }));
  }

  function pick(d: 'contact' | 'block' | 'unblock') {
    setMenuOpen(false);
    setDialog(d);
  }

  function closeDialog() {
    setDialog(null);
    requestAnimationFrame(() => menuButtonRef.current?.focus({ preventScroll: true }));
  }

  function closePanel() {
    setPanel(null);
    requestAnimationFrame(() => (infoButtonRef.current ?? inputRef.current)?.focus({ preventScroll: true }));
  }

  const firstUnread = unreadFrom === null ? -1 : rows.findIndex((r) => r.seq !== undefined && r.seq > unreadFrom && !r.mine);
  const unreadCount = firstUnread < 0 ? 0 : rows.slice(firstUnread).filter((r) => r.seq !== undefined && !r.mine).length;
  const newBelow = awayFrom === null ? 0 : rows.filter((r) => r.seq !== undefined && r.seq > awayFrom && !r.mine).length;
  const hiddenAbove = Math.max(0, rows.length - Math.max(limit, firstUnread >= 0 && !openedAtUnread.current ? rows.length - firstUnread + 10 : 0));
  const shown = hiddenAbove > 0 ? rows.slice(hiddenAbove) : rows;

  function onScroll() {
    const el = listRef.current;
    if (!el) return;
    stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
    if (stick.current && awayFrom !== null) setAwayFrom(null);
    else if (!stick.current && awayFrom === null) setAwayFrom(store.maxSeq(conversationId));
    if (el.scrollTop < 120) showOlder();
  }

  /** Keeps the oldest shown message in place while rows are added above it. */
  function holdAnchor() {
    const el = listRef.current;
    const first = el?.querySelector<HTMLElement>('.msg[data-seq]');
    if (el && first) anchor.current = { seq: Number(first.dataset.seq), offset: first.offsetTop - el.scrollTop };
  }

  /** Draws more of the held rows, or, when all are drawn, loads older ones from the server. */
  function showOlder() {
    if (hiddenAbove > 0) {
      holdAnchor();
      setLimit((l) => l + RENDER_STEP);
    } else {
      void loadOlder();
    }
  }

  function send() {
    const text = draft.trim();
    if (!text) return;
    if (new TextEncoder().encode(text).length > 16384) return;
    client.send(conversationId, text, replySeq ?? undefined);
    setReplySeq(null);
    setDraft('');
    stick.current = true;
    inputRef.current?.focus();
  }

  /**
   * Sends picked, pasted or dropped files: photos as photos (unless `asDocuments`), the rest
   * as documents; the draft becomes the first one's caption.
   */
  function sendFiles(files: Iterable<File>, asDocuments = false) {
    let caption = draft.trim();
    let sent = 0;
    for (const f of files) {
      const photo = !asDocuments && isPhotoFile(f);
      const video = !asDocuments && isVideoFile(f);
      const problem = photo ? uploadProblem(f) : video ? videoUploadProblem(f) : fileUploadProblem(f);
      if (problem) {
        setPhotoError(problem);
        continue;
      }
      if (photo) client.sendPhoto(conversationId, f, caption);
      else if (video) client.sendVideo(conversationId, f, caption);
      else client.sendDocument(conversationId, f, caption);
      caption = '';
      sent += 1;
    }
    if (sent) {
      setPhotoError('');
      setDraft('');
      stick.current = true;
    }
  }

  const tooLong = new TextEncoder().encode(draft).length > 16384;

  return (
    <div class={`chat-wrap${panel ? ' has-panel' : ''}`}>
    <section
      class={`chat${dragging ? ' dragging' : ''}`}
      aria-labelledby="chat-title"
      onDragOver={(e) => {
        if (conv.left || !e.dataTransfer?.types.includes('Files')) return;
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target) setDragging(false);
      }}
      onDrop={(e) => {
        setDragging(false);
        if (conv.left || !e.dataTransfer?.files.length) return;
        e.preventDefault();
        sendFiles(e.dataTransfer.files);
      }}
    >
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
        {!searchInMenu && <button
          type="button"
          class="icon-button"
          aria-label="Search in chat"
          title="Search in chat"
          aria-expanded={panel?.type === 'search'}
          aria-controls={panel ? 'side-panel' : undefined}
          onClick={() => (panel?.type === 'search' ? closePanel() : setPanel({ type: 'search' }))}
        >
          <SearchIcon />
        </button>}
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
                  <li role="none">
                    <button type="button" role="menuitem" tabIndex={-1} onClick={() => { setMenuOpen(false); setPanel({ type: 'search' }); }}>
                      Search in chat
                    </button>
                  </li>
                )}
                <ChatStateItems client={client} conv={conv} onDone={() => setMenuOpen(false)} />
                {muted ? (
                  <li role="none">
                    <button type="button" role="menuitem" tabIndex={-1} onClick={() => mute('off')}>
                      Unmute notifications
                    </button>
                  </li>
                ) : (
                  ([['8h', 'Mute for 8 hours'], ['1w', 'Mute for 1 week'], ['always', 'Mute always']] as const).map(([d, label]) => (
                    <li role="none" key={d}>
                      <button type="button" role="menuitem" tabIndex={-1} onClick={() => mute(d)}>
                        {label}
                      </button>
                    </li>
                  ))
                )}
                {direct && peer && (<>
                <li role="none">
                  <button type="button" role="menuitem" tabIndex={-1} onClick={() => pick('contact')}>
                    {client.contacts.has(peer.id) ? 'Edit contact' : 'Add to contacts'}
                  </button>
                </li>
                <li role="none">
                  <button type="button" role="menuitem" tabIndex={-1} class="danger" onClick={() => pick(client.isBlocked(peer.id) ? 'unblock' : 'block')}>
                    {client.isBlocked(peer.id) ? 'Unblock' : 'Block'}
                  </button>
                </li>
                </>)}
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
            aria-expanded={panel?.type === (group ? 'group' : 'contact')}
            aria-controls={panel ? 'side-panel' : undefined}
            onClick={() => (panel?.type === (group ? 'group' : 'contact') ? closePanel() : setPanel({ type: group ? 'group' : 'contact' }))}
          >
            <InfoIcon />
          </button>
        )}
      </header>
      <div class="messages" ref={listRef} onScroll={onScroll} role="log" aria-live="polite" aria-label={group ? `Messages in ${name}` : `Messages with ${name}`} tabIndex={0}>
        {(hiddenAbove > 0 || client.hasOlder(conversationId)) && (
          <div class="older">
            {loadingOlder ? (
              <span role="status">Loading older messages…</span>
            ) : (
              <button type="button" class="text-button" onClick={showOlder}>
                {olderError || 'Load older messages'}
              </button>
            )}
          </div>
        )}
        {rows.length === 0 && <p class="chat-empty">No messages yet. Say hello!</p>}
        {shown.map((r, i) => {
          const prev = i > 0 ? shown[i - 1] : rows[hiddenAbove - 1];
          const newDay = !prev || !sameDay(prev.ts, r.ts);
          const grouped = !!prev && !newDay && prev.sender === r.sender && prev.kind !== 'system' && r.kind !== 'system';
          const day = (
            <>
              {newDay && (
                <div class="day">
                  <span>{dayLabel(r.ts)}</span>
                </div>
              )}
              {hiddenAbove + i === firstUnread && <UnreadDivider count={unreadCount} />}
            </>
          );
          if (r.callEvent) {
            const media = callRecord(r.callEvent)!.media;
            return (
              <Fragment key={r.key}>
                {day}
                <div class={`msg system call-line${missedCall(r.callEvent, me) ? ' missed' : ''}`} data-seq={r.seq}>
                  <span class="system-text">
                    {media === 'video' ? <VideoIcon size={16} /> : <PhoneIcon size={16} />}
                    <span class="call-line-text" id={`call-line-${r.seq}`}>{r.system}</span>
                    <span class="call-line-time">{clockTime(r.ts)}</span>
                  </span>
                  {callable && (
                    <button type="button" class="text-button small" onClick={() => startCall(client, conversationId, peer!.id, media)}
                      aria-describedby={`call-line-${r.seq}`}>
                      {r.callEvent.actor_id === me ? 'Call again' : 'Call back'}
                    </button>
                  )}
                </div>
              </Fragment>
            );
          }
          if (r.system !== undefined) {
            return (
              <Fragment key={r.key}>
                {day}
                <div class="msg system" data-seq={r.seq}>
                  <span class="system-text">{r.system}</span>
                </div>
              </Fragment>
            );
          }
          return (
            <Fragment key={r.key}>
              {day}
              <div
                class={`msg ${r.mine ? 'out' : 'in'}${grouped ? ' grouped' : ''}${r.status === 'failed' ? ' failed' : ''}${r.deleted ? ' deleted' : ''}${r.seq !== undefined && r.seq === highlight ? ' highlighted' : ''}${group && !conv.left && r.mine && r.seq !== undefined ? ' has-info' : ''}`}
                data-seq={r.seq}
                data-status={r.status}
                onContextMenu={
                  r.message && !r.deleted && editSeq !== r.seq
                    ? (e) => {
                        e.preventDefault();
                        setMenuSeq(r.seq!);
                      }
                    : undefined
                }
                {...(r.message && !r.deleted && editSeq !== r.seq ? longPress(() => setMenuSeq(r.seq!)) : {})}
              >
                <div class={`bubble${!['text', 'image', 'file', 'voice', 'video'].includes(r.kind) || r.deleted ? ' unsupported' : ''}${r.image || r.video ? ' has-photo' : ''}`}>
                  {!direct && !r.mine && !grouped ? (
                    <span class="sender" style={{ color: senderColourVar(r.sender) }}>
                      {memberName(r.sender)}
                    </span>
                  ) : (
                    <span class="visually-hidden">{r.mine ? 'You: ' : `${memberName(r.sender)}: `}</span>
                  )}
                  {r.message?.forwarded && !r.deleted && <span class="forwarded-label">Forwarded</span>}
                  {r.replyTo !== undefined && (
                    <ReplyQuote client={client} conversationId={conversationId} seq={r.replyTo} nameOf={memberName} onOpen={(seq) => setFocus((f) => ({ seq, key: (f?.key ?? 0) + 1 }))} />
                  )}
                  {r.image && (
                    <PhotoBubble client={client} image={r.image} caption={r.text} onOpen={() => setViewing({ image: r.image!, caption: r.text })} />
                  )}
                  {r.file && <FileBubble client={client} file={r.file} />}
                  {r.video && <VideoBubble client={client} video={r.video} caption={r.text} />}
                  {r.voice && (
                    <VoiceBubble
                      client={client}
                      voice={r.voice}
                      onPlay={!r.mine && r.seq !== undefined ? () => client.markPlayed(conversationId, r.seq!) : undefined}
                      played={r.mine && r.seq !== undefined ? client.playedBy(conversationId, r.seq, me) : undefined}
                    />
                  )}
                  {r.upload !== undefined &&
                    (() => {
                      const u = uploads.find((x) => x.id === r.upload)!;
                      if (u.kind)
                        return (
                          <div class="file-upload" data-testid="file-upload">
                            <span class="file-name" dir="auto">{u.kind === 'voice' ? 'Voice message' : u.kind === 'video' ? `Video: ${u.name}` : u.name}</span>
                            {u.error ? (
                              <span class="upload-error" role="alert">
                                {u.kind === 'video' ? videoErrorText(u.error) : fileErrorText(u.error, u.kind === 'voice')}{' '}
                                <button type="button" class="link-button" onClick={() => client.dismissUpload(u.id)}>
                                  Dismiss
                                </button>
                              </span>
                            ) : (
                              <progress max={u.total || 1} value={u.loaded} aria-label={`Uploading, ${formatSize(u.loaded)} of ${formatSize(u.total)}`} />
                            )}
                          </div>
                        );
                      return (
                        <UploadBubble
                          preview={u.preview}
                          loaded={u.loaded}
                          total={u.total}
                          error={u.error ? uploadErrorText(u.error) : undefined}
                          onDismiss={() => client.dismissUpload(u.id)}
                        />
                      );
                    })()}
                  {editSeq !== null && r.seq === editSeq && r.message ? (
                    <MessageEditor client={client} message={r.message} onDone={() => setEditSeq(null)} />
                  ) : (
                    ((r.kind !== 'image' && r.kind !== 'file' && r.kind !== 'voice' && r.kind !== 'video') || r.text) && <MessageText text={r.text} plain={r.deleted || r.kind === 'system' || r.kind === 'unsupported'} />
                  )}
                  <span class="meta">
                    {r.edited && <span class="edited">edited</span>}
                    <time dateTime={new Date(r.ts).toISOString()}>{clockTime(r.ts)}</time>
                    {r.status && <StatusIcon status={r.status} />}
                  </span>
                  {group && !conv.left && r.mine && r.seq !== undefined && (
                    <button
                      type="button"
                      class="msg-action"
                      aria-label="Message info"
                      title="Message info"
                      aria-controls={panel ? 'side-panel' : undefined}
                      onClick={() => setPanel({ type: 'message', seq: r.seq! })}
                    >
                      <InfoIcon size={16} />
                    </button>
                  )}
                  {r.message && !r.deleted && editSeq !== r.seq && (
                    <MessageActions
                      message={r.message}
                      me={me}
                      left={!!conv.left}
                      open={menuSeq === r.seq}
                      onOpenChange={(o) => setMenuSeq(o ? r.seq! : null)}
                      onEdit={() => setEditSeq(r.seq!)}
                      onDelete={() => setDeleteSeq(r.seq!)}
                      onInfo={group && !conv.left && r.mine ? () => setPanel({ type: 'message', seq: r.seq! }) : undefined}
                      onReact={conv.left || r.kind === 'system' ? undefined : () => setReactSeq(r.seq!)}
                      onForward={['text', 'image', 'file', 'voice', 'video'].includes(r.kind) ? () => setForwardSeq(r.seq!) : undefined}
                      onReply={conv.left ? undefined : () => {
                        setReplySeq(r.seq!);
                        inputRef.current?.focus();
                      }}
                    />
                  )}
                </div>
                {r.message && !r.deleted && <ReactionChips client={client} message={r.message} nameOf={memberName} disabled={!!conv.left} />}
                {r.status === 'failed' && r.clientId && r.error === 'forbidden' && (
                  <div class="failed-actions">
                    <span class="undelivered">This message could not be delivered</span>
                    <button type="button" class="text-button small" onClick={() => client.discard(r.clientId!)}>
                      Delete
                    </button>
                  </div>
                )}
                {r.status === 'failed' && r.clientId && r.error !== 'forbidden' && (
                  <div class="failed-actions">
                    <button type="button" class="retry" onClick={() => client.retry(r.clientId!)}>
                      Not sent. Tap to retry
                    </button>
                    <button type="button" class="text-button small" onClick={() => client.discard(r.clientId!)}>
                      Delete
                    </button>
                  </div>
                )}
              </div>
            </Fragment>
          );
        })}
        {awayFrom !== null && (
          <JumpToNewest
            count={newBelow}
            onJump={() => {
              const el = listRef.current;
              if (el) el.scrollTop = el.scrollHeight;
              stick.current = true;
              setAwayFrom(null);
            }}
          />
        )}
      </div>
      {conv.left ? (
        <div class="composer composer-left" role="note">
          You can't send messages to this group because you're no longer a member.
        </div>
      ) : (
      <>
      {replySeq !== null && (
        <ReplyBar client={client} conversationId={conversationId} seq={replySeq} nameOf={memberName} onCancel={() => {
          setReplySeq(null);
          inputRef.current?.focus();
        }} />
      )}
      <form
        class="composer"
        onSubmit={(e) => {
          e.preventDefault();
          send();
        }}
      >
        <input
          ref={fileRef}
          type="file"
          accept={`${ACCEPTED_TYPES},${VIDEO_TYPES}`}
          multiple
          hidden
          data-testid="photo-input"
          onChange={(e) => {
            const files = e.currentTarget.files;
            if (files) sendFiles([...files]);
            e.currentTarget.value = '';
          }}
        />
        <input
          ref={docRef}
          type="file"
          multiple
          hidden
          data-testid="file-input"
          onChange={(e) => {
            const files = e.currentTarget.files;
            if (files) sendFiles([...files], true);
            e.currentTarget.value = '';
          }}
        />
        <button type="button" class="icon-button attach" aria-label="Attach photo or video" title="Attach photo or video" onClick={() => fileRef.current?.click()}>
          <AttachIcon />
        </button>
        <button type="button" class="icon-button attach-file" aria-label="Attach file" title="Attach file" onClick={() => docRef.current?.click()}>
          📄
        </button>
        <RecordButton
          onRecorded={(r) => {
            client.sendVoice(conversationId, r.blob, r.durationMs, r.waveform);
            stick.current = true;
          }}
          onError={setPhotoError}
        />
        <label for="composer-input" class="visually-hidden">
          Message {name}
        </label>
        <textarea
          id="composer-input"
          ref={inputRef}
          rows={1}
          placeholder="Type a message"
          value={draft}
          aria-invalid={tooLong ? true : undefined}
          onInput={(e) => {
            const v = e.currentTarget.value;
            setDraft(v);
            client.typingInput(conversationId, v.trim() !== '');
          }}
          onBlur={() => client.typingStop(conversationId)}
          onPaste={(e) => {
            const files = [...(e.clipboardData?.files ?? [])];
            if (!files.length) return;
            e.preventDefault();
            sendFiles(files);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              send();
            } else if (e.key === 'Escape' && replySeq !== null) {
              e.preventDefault();
              setReplySeq(null);
            } else if (e.key === 'ArrowUp' && !e.altKey && !e.ctrlKey && !e.metaKey && draft === '') {
              // Up in an empty box edits the last own message, if it may still be edited.
              const last = [...rows].reverse().find((r) => r.mine && r.message && !r.deleted);
              if (last?.message && !conv.left && canEdit(last.message, me, Date.now())) {
                e.preventDefault();
                setEditSeq(last.message.seq);
              }
            }
          }}
        />
        <button type="submit" class="icon-button send" aria-label="Send" disabled={!draft.trim() || tooLong}>
          <SendIcon />
        </button>
      </form>
      </>
      )}
      {photoError && !conv.left && (
        <p class="form-error composer-error" role="alert">
          {photoError}
        </p>
      )}
      {tooLong && !conv.left && (
        <p class="form-error composer-error" role="alert">
          This message is longer than 16 KB.
        </p>
      )}
    </section>
    {panel?.type === 'contact' && peer && (
      <ContactInfo client={client} conversationId={conversationId} peer={peer} onClose={closePanel}
        onOpenPhoto={(image, caption) => setViewing({ image, caption })}
        onBlock={() => setDialog(client.isBlocked(peer.id) ? 'unblock' : 'block')}
        onMedia={() => setPanel({ type: 'media' })} />
    )}
    {panel?.type === 'group' && <GroupInfo client={client} conversationId={conversationId} onClose={closePanel} onMedia={() => setPanel({ type: 'media' })} />}
    {panel?.type === 'media' && (
      <ChatMedia
        client={client}
        conversationId={conversationId}
        onClose={closePanel}
        onOpen={(seq) => {
          if (window.matchMedia?.('(max-width: 720px)').matches) setPanel(null);
          setFocus((f) => ({ seq, key: (f?.key ?? 0) + 1 }));
        }}
      />
    )}
    {panel?.type === 'message' && <MessageInfo client={client} conversationId={conversationId} seq={panel.seq} onClose={closePanel} />}
    {panel?.type === 'search' && (
      <SidePanel title="Search" onClose={closePanel}>
        <MessageSearch
          client={client}
          conversationId={conversationId}
          autoFocus
          onOpen={(_, seq) => {
            if (window.matchMedia?.('(max-width: 720px)').matches) setPanel(null);
            setFocus((f) => ({ seq, key: (f?.key ?? 0) + 1 }));
          }}
        />
      </SidePanel>
    )}
    {deleteSeq !== null && store.message(conversationId, deleteSeq) && (
      <DeleteDialog client={client} message={store.message(conversationId, deleteSeq)!} onClose={() => setDeleteSeq(null)} />
    )}
    {forwardSeq !== null && store.message(conversationId, forwardSeq) && (
      <ForwardDialog client={client} message={store.message(conversationId, forwardSeq)!} onClose={() => setForwardSeq(null)} />
    )}
    {reactSeq !== null && store.message(conversationId, reactSeq) && (
      <ReactionPicker client={client} message={store.message(conversationId, reactSeq)!} onClose={() => setReactSeq(null)} />
    )}
    {viewing && <PhotoViewer client={client} image={viewing.image} caption={viewing.caption} onClose={() => setViewing(null)} />}
    {dialog === 'contact' && peer && <ContactDialog client={client} user={peer} onClose={closeDialog} />}
    {(dialog === 'block' || dialog === 'unblock') && peer && (
      <BlockDialog client={client} user={peer} unblock={dialog === 'unblock'} onClose={closeDialog} />
    )}
    </div>
  );
}

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
