import { useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { conversationName } from '../core/format';
import { isGroup, nameIn } from '../core/groups';
import { canEdit } from '../core/edits';
import type { Conversation, ImageInfo } from '../core/types';
import type { ParleyClient } from '../platform/client';
import { BlockDialog, ContactDialog } from './ContactDialog';
import { GroupInfo } from './GroupInfo';
import { DeleteDialog } from './MessageActions';
import { PhotoViewer } from './Photo';
import { JumpToNewest } from './ChatMarkers';
import { MessageInfo } from './MessageInfo';
import { MessageSearch } from './MessageSearch';
import { SidePanel } from './SidePanel';
import { ChatMedia } from './ChatMedia';
import { ReactionPicker } from './Reactions';
import { ForwardDialog } from './ForwardDialog';
import { ContactInfo } from './ContactInfo';
import { ChatHeader, type ChatDialog, type Panel } from './ChatHeader';
import { Composer, useDraft } from './Composer';
import { MessageBlock, type MessageRowProps, type RowActions, type RowContext } from './MessageRow';
import { chatRows, continuesRun, startsDay } from './chatRows';
import { blockOf, GAP, TAIL_BLOCK, useMessageScroll, type BlockInfo } from './useMessageScroll';

/** What the names shown in a chat come from: a new value exactly when one of them changed. */
function namesKey(conv: Conversation): string {
  let k = conv.peer ? `${conv.peer.id}:${conv.peer.display_name}` : '';
  for (const m of conv.roster ?? []) k += `|${m.user.id}:${m.user.display_name}`;
  for (const m of conv.members) k += `|${m.user.id}:${m.user.display_name}`;
  for (const [id, u] of Object.entries(conv.people ?? {})) k += `|${id}:${u.display_name}`;
  return k;
}

const narrowScreen = () => !!window.matchMedia?.('(max-width: 720px)').matches;

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
  const { store } = client;
  const me = client.session.user.id;
  const conv = store.conversation(conversationId)!;
  const peer = store.peer(conversationId);
  const group = isGroup(conv);
  const direct = !group && conv.members.length <= 2;
  const name = direct && peer ? client.nameOf(peer) : conversationName(conv, me);
  const callable = direct && !!peer && !conv.left;
  const [dialog, setDialog] = useState<ChatDialog | null>(null);
  const menuButtonRef = useRef<HTMLButtonElement>(null);
  const names = namesKey(conv);
  const memberName = useMemo(() => (id: number) => nameIn(store.conversation(conversationId), id), [names, conversationId]);
  const [panel, setPanel] = useState<Panel>(null);
  const infoButtonRef = useRef<HTMLButtonElement>(null);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const draft = useDraft(client, conversationId);
  const [viewing, setViewing] = useState<{ image: ImageInfo; caption: string } | null>(null);
  const [dragging, setDragging] = useState(false);
  const [menuSeq, setMenuSeq] = useState<number | null>(null);
  const [editSeq, setEditSeq] = useState<number | null>(null);
  const [deleteSeq, setDeleteSeq] = useState<number | null>(null);
  const [replySeq, setReplySeq] = useState<number | null>(null);
  const [reactSeq, setReactSeq] = useState<number | null>(null);
  const [forwardSeq, setForwardSeq] = useState<number | null>(null);

  const rows = chatRows(client, conv, memberName);
  const scroll = useMessageScroll(client, conversationId, rows, focusSeq, focusKey);
  const focusOn = useRef(scroll.focusOn);
  focusOn.current = scroll.focusOn;

  // One actions object for the chat's life: rows keep their props (and are not drawn again)
  // across renders. Everything it calls is a state setter or reads a ref.
  const actions = useMemo<RowActions>(() => ({
    openMenu: setMenuSeq,
    edit: setEditSeq,
    remove: setDeleteSeq,
    info: (seq) => setPanel({ type: 'message', seq }),
    react: setReactSeq,
    forward: setForwardSeq,
    reply: (seq) => {
      setReplySeq(seq);
      inputRef.current?.focus();
    },
    focus: (seq) => focusOn.current(seq),
    viewPhoto: (image, caption) => setViewing({ image, caption }),
  }), []);
  const left = !!conv.left;
  const panelOpen = panel !== null;
  const online = client.connState === 'online';
  const today = new Date().toDateString();
  const ctx = useMemo<RowContext>(
    () => ({ client, conversationId, me, direct, group, left, callable, peerId: peer?.id, panelOpen, online, today, memberName, actions }),
    [client, conversationId, me, direct, group, left, callable, peer?.id, panelOpen, online, today, memberName, actions],
  );

  // The composer takes the focus in the task that shows the chat (a layout effect), not after
  // the next paint, where it would take it from whatever the user clicked or typed into meanwhile.
  useLayoutEffect(() => {
    inputRef.current?.focus({ preventScroll: true });
    return () => client.typingStop(conversationId);
  }, [conversationId]);

  function closeDialog() {
    setDialog(null);
    requestAnimationFrame(() => menuButtonRef.current?.focus({ preventScroll: true }));
  }

  function closePanel() {
    setPanel(null);
    requestAnimationFrame(() => (infoButtonRef.current ?? inputRef.current)?.focus({ preventScroll: true }));
  }

  /** Up in an empty composer: edits the last own message, if it may still be edited. */
  function editLast(): boolean {
    for (let i = rows.length - 1; i >= 0; i--) {
      const r = rows[i];
      if (!r.mine || !r.message || r.deleted) continue;
      if (conv.left || !canEdit(r.message, me, Date.now())) return false;
      setEditSeq(r.message.seq);
      return true;
    }
    return false;
  }

  const { hiddenAbove, firstUnread, win } = scroll;
  // Rows go into blocks of 10 by seq (ROWS_PER_BLOCK; pending rows and uploads in the last
  // one). Only the blocks within a few screens of the view are drawn (the window, kept by
  // useMessageScroll); each run of the others is one spacer of their height. So the DOM holds a
  // few hundred rows however far back the user scrolled, and a page of older rows costs its own
  // layout, not that of thousands. The block whose menu is open or whose message is being
  // edited is always drawn. A block is painted again as a whole when rows go in at its top,
  // so blocks are small. A row's props object is kept from the last render while nothing in it
  // changed: a long chat renders a few times for each page of older messages, and new props
  // objects each time were most of the garbage collected while scrolling back.
  const rowProps = useRef(new Map<string, MessageRowProps>()).current;
  const pinned = (n: number) => (menuSeq !== null && blockOf(menuSeq) === n) || (editSeq !== null && blockOf(editSeq) === n);
  const info: BlockInfo[] = [];
  const items: ({ key: string; n: number; rows: MessageRowProps[]; contained: boolean } | { key: string; gap: BlockInfo[] })[] = [];
  let drawn = false;
  for (let i = hiddenAbove; i < rows.length; i++) {
    const r = rows[i];
    const n = r.seq !== undefined ? blockOf(r.seq) : TAIL_BLOCK;
    if (info.length === 0 || info[info.length - 1].n !== n) {
      const b = { n, rows: 0 };
      info.push(b);
      drawn = (n >= win.lo && n <= win.hi) || pinned(n);
      const last = items[items.length - 1];
      if (drawn) items.push({ key: `b${n}`, n, rows: [], contained: true });
      else if (last && 'gap' in last) last.gap.push(b);
      else items.push({ key: `g${n}`, gap: [b] });
    }
    info[info.length - 1].rows++;
    if (!drawn) continue;
    // The first row drawn starts a day and a run whatever is held above it: rows arriving
    // above without being drawn yet (an older page fetched ahead) change nothing on screen.
    const above = i > hiddenAbove ? rows[i - 1] : undefined;
    const newDay = startsDay(above, r);
    const grouped = continuesRun(above, r, newDay);
    const unread = i === firstUnread ? scroll.unreadCount : null;
    const highlighted = r.seq !== undefined && r.seq === scroll.highlight;
    const editing = editSeq !== null && r.seq === editSeq;
    const menuOpen = menuSeq !== null && r.seq === menuSeq;
    const quoted = r.replyTo !== undefined ? client.quoted(conversationId, r.replyTo) : undefined;
    const played = r.voice && r.mine && r.seq !== undefined ? client.playedBy(conversationId, r.seq, me) : undefined;
    const upload = r.upload !== undefined ? client.uploads.find((u) => u.id === r.upload) : undefined;
    let p = rowProps.get(r.key);
    if (!p || p.row !== r || p.ctx !== ctx || p.newDay !== newDay || p.grouped !== grouped || p.unread !== unread ||
        p.highlighted !== highlighted || p.editing !== editing || p.menuOpen !== menuOpen || p.quoted !== quoted ||
        p.played !== played || p.upload !== upload) {
      p = { row: r, ctx, newDay, grouped, unread, highlighted, editing, menuOpen, quoted, played, upload };
      rowProps.set(r.key, p);
    }
    const block = items[items.length - 1] as { rows: MessageRowProps[]; contained: boolean };
    block.rows.push(p);
    if (menuOpen) block.contained = false;
  }
  scroll.blocks.current = info;
  // The last block drawn is not contained (styles.css): its menus and what else reaches out below it scroll the list.
  for (let i = items.length - 1; i >= 0; i--) {
    const it = items[i];
    if ('rows' in it) {
      it.contained = false;
      break;
    }
  }
  // Rows no longer drawn (deleted, hidden, sent from the outbox): forgotten now and then.
  if (rowProps.size > rows.length - hiddenAbove + 200) rowProps.clear();
  const selected = (seq: number | null) => (seq !== null ? store.message(conversationId, seq) : undefined);
  const toDelete = selected(deleteSeq);
  const toForward = selected(forwardSeq);
  const toReact = selected(reactSeq);

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
        if (draft.sendFiles(e.dataTransfer.files)) scroll.stickToBottom();
      }}
    >
      <ChatHeader client={client} conv={conv} peer={peer} name={name} panel={panel} setPanel={setPanel} closePanel={closePanel}
        infoButtonRef={infoButtonRef} menuButtonRef={menuButtonRef} onBack={onBack} onDialog={setDialog} />
      <div class="messages" ref={scroll.listRef} onScroll={scroll.onScroll} role="log" aria-live="polite" aria-busy={scroll.busy} aria-label={group ? `Messages in ${name}` : `Messages with ${name}`} tabIndex={0}>
        {(hiddenAbove > 0 || client.hasOlder(conversationId)) && (
          <div class="older">
            {scroll.loadingOlder ? (
              <span role="status">Loading older messages…</span>
            ) : (
              <button type="button" class="text-button" onClick={scroll.showOlder}>
                {scroll.olderError || 'Load older messages'}
              </button>
            )}
          </div>
        )}
        {rows.length === 0 && <p class="chat-empty">No messages yet. Say hello!</p>}
        {items.map((b) =>
          'rows' in b ? (
            <MessageBlock key={b.key} n={b.n} rows={b.rows} contained={b.contained} />
          ) : (
            <div key={b.key} class="msg-gap" data-gap={b.gap[0].n} style={{ height: `${b.gap.reduce((h, g) => h + scroll.blockHeight(g) + GAP, -GAP)}px` }} />
          ),
        )}
        {scroll.newBelow !== null && <JumpToNewest count={scroll.newBelow} onJump={scroll.jumpToNewest} />}
      </div>
      {conv.left ? (
        <div class="composer composer-left" role="note">
          You can't send messages to this group because you're no longer a member.
        </div>
      ) : (
        <Composer client={client} conversationId={conversationId} name={name} draft={draft} inputRef={inputRef}
          replySeq={replySeq} setReplySeq={setReplySeq} nameOf={memberName} onSent={scroll.stickToBottom} onEditLast={editLast} />
      )}
      {draft.fileError && !conv.left && (
        <p class="form-error composer-error" role="alert">
          {draft.fileError}
        </p>
      )}
      {draft.tooLong && !conv.left && (
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
          if (narrowScreen()) setPanel(null);
          scroll.focusOn(seq);
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
            if (narrowScreen()) setPanel(null);
            scroll.focusOn(seq);
          }}
        />
      </SidePanel>
    )}
    {toDelete && <DeleteDialog client={client} message={toDelete} onClose={() => setDeleteSeq(null)} />}
    {toForward && <ForwardDialog client={client} message={toForward} onClose={() => setForwardSeq(null)} />}
    {toReact && <ReactionPicker client={client} message={toReact} onClose={() => setReactSeq(null)} />}
    {viewing && <PhotoViewer client={client} image={viewing.image} caption={viewing.caption} onClose={() => setViewing(null)} />}
    {dialog === 'contact' && peer && <ContactDialog client={client} user={peer} onClose={closeDialog} />}
    {(dialog === 'block' || dialog === 'unblock') && peer && (
      <BlockDialog client={client} user={peer} unblock={dialog === 'unblock'} onClose={closeDialog} />
    )}
    </div>
  );
}
