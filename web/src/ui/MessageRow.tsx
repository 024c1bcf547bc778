import { Component, h } from 'preact';
import { clockTime, dayLabel } from '../core/format';
import { senderColourVar } from '../core/groups';
import { callRecord, missedCall } from '../core/callhistory';
import { fileErrorText, formatSize, uploadErrorText, videoErrorText } from '../core/media';
import type { ImageInfo, Message } from '../core/types';
import type { ParleyClient, PhotoUpload } from '../platform/client';
import { startCall } from './callsEntry';
import { FileBubble, VideoBubble, VoiceBubble } from './Attachments';
import { InfoIcon, PhoneIcon, StatusIcon, VideoIcon } from './icons';
import { longPress, MessageActions, MessageEditor } from './MessageActions';
import { PhotoBubble, UploadBubble } from './Photo';
import { MessageText } from './MessageText';
import { UnreadDivider } from './ChatMarkers';
import { ReplyQuote } from './ReplyQuote';
import { ReactionChips } from './Reactions';
import { sameRow, type Row } from './chatRows';

/** What a row asks of the chat around it. The object keeps its identity while the chat is open. */
export interface RowActions {
  /** Opens the message menu of `seq` (null: closes it). */
  openMenu(seq: number | null): void;
  /** Starts editing `seq` (null: stops). */
  edit(seq: number | null): void;
  remove(seq: number): void;
  info(seq: number): void;
  react(seq: number): void;
  forward(seq: number): void;
  reply(seq: number): void;
  /** Scrolls to `seq` (loading history back to it) and highlights it. */
  focus(seq: number): void;
  viewPhoto(image: ImageInfo, caption: string): void;
}

/**
 * What every row of a chat shares. A new object (so every row drawn again) only when one of
 * these changes, which is rare: the names, leaving the group, the side panel opening, the connection, the date.
 */
export interface RowContext {
  client: ParleyClient;
  conversationId: number;
  me: number;
  direct: boolean;
  group: boolean;
  left: boolean;
  callable: boolean;
  peerId?: number;
  panelOpen: boolean;
  /** Photos, videos and files ask for their links again when the connection comes back. */
  online: boolean;
  /** Today's date: day markers say "Today" and "Yesterday", so they follow it. */
  today: string;
  memberName: (id: number) => string;
  actions: RowActions;
}

export interface MessageRowProps {
  row: Row;
  ctx: RowContext;
  /** A day marker goes above this row. */
  newDay: boolean;
  /** The row continues its sender's run (no sender name, tighter spacing). */
  grouped: boolean;
  /** The "N unread messages" divider goes above this row (null: none). */
  unread: number | null;
  highlighted: boolean;
  editing: boolean;
  menuOpen: boolean;
  /** The message a reply quotes, as the device knows it (undefined: not known yet). */
  quoted?: Message | null;
  /** An own voice message someone has played. */
  played?: boolean;
  /** The upload an upload row shows. */
  upload?: PhotoUpload;
}

/** Rows are drawn again only when something they show changed (uploads always: progress moves in place). */
function sameProps(a: MessageRowProps, b: MessageRowProps): boolean {
  return (a === b && a.upload === undefined) || (
    a.ctx === b.ctx && a.newDay === b.newDay && a.grouped === b.grouped && a.unread === b.unread &&
    a.highlighted === b.highlighted && a.editing === b.editing && a.menuOpen === b.menuOpen &&
    a.quoted === b.quoted && a.played === b.played && a.upload === undefined && b.upload === undefined && sameRow(a.row, b.row)
  );
}

function DayMarkers({ r, newDay, unread }: { r: Row; newDay: boolean; unread: number | null }) {
  return (
    <>
      {newDay && (
        <div class="day">
          <span>{dayLabel(r.ts)}</span>
        </div>
      )}
      {unread !== null && <UnreadDivider count={unread} />}
    </>
  );
}

function CallLine({ r, ctx }: { r: Row; ctx: RowContext }) {
  const media = callRecord(r.callEvent!)!.media;
  return (
    <div class={`msg system call-line${missedCall(r.callEvent!, ctx.me) ? ' missed' : ''}`} data-seq={r.seq}>
      <span class="system-text">
        {media === 'video' ? <VideoIcon size={16} /> : <PhoneIcon size={16} />}
        <span class="call-line-text" id={`call-line-${r.seq}`}>{r.system}</span>
        <span class="call-line-time">{clockTime(r.ts)}</span>
      </span>
      {ctx.callable && (
        <button type="button" class="text-button small" onClick={() => startCall(ctx.client, ctx.conversationId, ctx.peerId!, media)}
          aria-describedby={`call-line-${r.seq}`}>
          {r.callEvent!.actor_id === ctx.me ? 'Call again' : 'Call back'}
        </button>
      )}
    </div>
  );
}

function UploadLine({ client, u }: { client: ParleyClient; u: PhotoUpload }) {
  if (!u.kind)
    return <UploadBubble preview={u.preview} loaded={u.loaded} total={u.total} error={u.error ? uploadErrorText(u.error) : undefined} onDismiss={() => client.dismissUpload(u.id)} />;
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
}

/** What to do with a failed own message: retry or delete, or only delete when the server refused it. */
function FailedActions({ client, r }: { client: ParleyClient; r: Row }) {
  if (r.status !== 'failed' || !r.clientId) return null;
  return (
    <div class="failed-actions">
      {r.error === 'forbidden' ? (
        <span class="undelivered">This message could not be delivered</span>
      ) : (
        <button type="button" class="retry" onClick={() => client.retry(r.clientId!)}>
          Not sent. Tap to retry
        </button>
      )}
      <button type="button" class="text-button small" onClick={() => client.discard(r.clientId!)}>
        Delete
      </button>
    </div>
  );
}

const MEDIA = ['text', 'image', 'file', 'voice', 'video'];

function Bubble(p: MessageRowProps) {
  const { row: r, ctx, grouped } = p;
  const { client, conversationId, me, actions } = ctx;
  const withInfo = ctx.group && !ctx.left && r.mine && r.seq !== undefined;
  return (
    <div class={`bubble${!MEDIA.includes(r.kind) || r.deleted ? ' unsupported' : ''}${r.image || r.video ? ' has-photo' : ''}${p.menuOpen ? ' menu-open' : ''}`}>
      {!ctx.direct && !r.mine && !grouped ? (
        <span class="sender" style={{ color: senderColourVar(r.sender) }}>
          {ctx.memberName(r.sender)}
        </span>
      ) : (
        <span class="visually-hidden">{r.mine ? 'You: ' : `${ctx.memberName(r.sender)}: `}</span>
      )}
      {r.message?.forwarded && !r.deleted && <span class="forwarded-label">Forwarded</span>}
      {r.replyTo !== undefined && (
        <ReplyQuote client={client} conversationId={conversationId} seq={r.replyTo} nameOf={ctx.memberName} onOpen={actions.focus} />
      )}
      {r.image && <PhotoBubble client={client} image={r.image} caption={r.text} onOpen={() => actions.viewPhoto(r.image!, r.text)} />}
      {r.file && <FileBubble client={client} file={r.file} />}
      {r.video && <VideoBubble client={client} video={r.video} caption={r.text} />}
      {r.voice && (
        <VoiceBubble
          client={client}
          voice={r.voice}
          onPlay={!r.mine && r.seq !== undefined ? () => client.markPlayed(conversationId, r.seq!) : undefined}
          played={r.mine && r.seq !== undefined ? !!p.played : undefined}
        />
      )}
      {p.upload && <UploadLine client={client} u={p.upload} />}
      {p.editing && r.message ? (
        <MessageEditor client={client} message={r.message} onDone={() => actions.edit(null)} />
      ) : (
        (!['image', 'file', 'voice', 'video'].includes(r.kind) || r.text) && <MessageText text={r.text} plain={r.deleted || r.kind === 'system' || r.kind === 'unsupported'} />
      )}
      <span class="meta">
        {r.edited && <span class="edited">edited</span>}
        <time dateTime={new Date(r.ts).toISOString()}>{clockTime(r.ts)}</time>
        {r.status && <StatusIcon status={r.status} />}
      </span>
      {withInfo && (
        <button type="button" class="msg-action" aria-label="Message info" title="Message info"
          aria-controls={ctx.panelOpen ? 'side-panel' : undefined} onClick={() => actions.info(r.seq!)}>
          <InfoIcon size={16} />
        </button>
      )}
      {r.message && !r.deleted && !p.editing && (
        <MessageActions
          message={r.message}
          me={me}
          left={ctx.left}
          open={p.menuOpen}
          onOpenChange={(o) => actions.openMenu(o ? r.seq! : null)}
          onEdit={() => actions.edit(r.seq!)}
          onDelete={() => actions.remove(r.seq!)}
          onInfo={withInfo ? () => actions.info(r.seq!) : undefined}
          onReact={ctx.left || r.kind === 'system' ? undefined : () => actions.react(r.seq!)}
          onForward={MEDIA.includes(r.kind) ? () => actions.forward(r.seq!) : undefined}
          onReply={ctx.left ? undefined : () => actions.reply(r.seq!)}
        />
      )}
    </div>
  );
}

function MessageRowView(p: MessageRowProps) {
  const { row: r, ctx } = p;
  const markers = <DayMarkers r={r} newDay={p.newDay} unread={p.unread} />;
  if (r.callEvent)
    return (
      <>
        {markers}
        <CallLine r={r} ctx={ctx} />
      </>
    );
  if (r.system !== undefined)
    return (
      <>
        {markers}
        <div class="msg system" data-seq={r.seq}>
          <span class="system-text">{r.system}</span>
        </div>
      </>
    );
  const actionable = !!r.message && !r.deleted && !p.editing;
  const cls = `msg ${r.mine ? 'out' : 'in'}${p.grouped ? ' grouped' : ''}${r.status === 'failed' ? ' failed' : ''}${r.deleted ? ' deleted' : ''}${p.highlighted ? ' highlighted' : ''}${ctx.group && !ctx.left && r.mine && r.seq !== undefined ? ' has-info' : ''}`;
  return (
    <>
      {markers}
      <div
        class={cls}
        data-seq={r.seq}
        data-status={r.status}
        onContextMenu={actionable ? (e) => {
          e.preventDefault();
          ctx.actions.openMenu(r.seq!);
        } : undefined}
        {...(actionable ? longPress(() => ctx.actions.openMenu(r.seq!)) : {})}
      >
        <Bubble {...p} />
        {r.message && !r.deleted && <ReactionChips client={ctx.client} message={r.message} nameOf={ctx.memberName} disabled={ctx.left} />}
        <FailedActions client={ctx.client} r={r} />
      </div>
    </>
  );
}

/**
 * One line of the message list with the markers above it (day, unread divider). Memoized: a
 * new page of older messages, or a new message, draws only its own rows.
 */
export class MessageRow extends Component<MessageRowProps> {
  shouldComponentUpdate(next: MessageRowProps): boolean {
    return !sameProps(this.props, next);
  }
  render() {
    return h(MessageRowView, this.props);
  }
}

/**
 * One layout block of the message list (ChatView): the props of its rows, drawn again only
 * when one of them changed. Comparing a few hundred blocks instead of thousands of rows keeps a
 * re-render of a long open chat (a page of older messages, a tick) short.
 */
export class MessageBlock extends Component<{ n: number; rows: MessageRowProps[]; contained: boolean }> {
  shouldComponentUpdate(next: { n: number; rows: MessageRowProps[]; contained: boolean }): boolean {
    const a = this.props.rows;
    const b = next.rows;
    if (a.length !== b.length || this.props.contained !== next.contained) return true;
    for (let i = 0; i < a.length; i++) if (a[i].row.key !== b[i].row.key || !sameProps(a[i], b[i])) return true;
    return false;
  }
  render() {
    return h('div', { class: this.props.contained ? 'msg-block contained' : 'msg-block', 'data-block': this.props.n }, this.props.rows.map((p) => h(MessageRow, { key: p.row.key, ...p })));
  }
}
