import { systemEvent, systemText } from '../core/groups';
import { messageStatus, pendingStatus } from '../core/status';
import { DELETED_TEXT } from '../core/edits';
import { callRecord } from '../core/callhistory';
import type { Conversation, FileInfo, ImageInfo, Message, MessageStatus, SystemEvent, VideoInfo, VoiceInfo } from '../core/types';
import type { ParleyClient } from '../platform/client';

/** One line of an open chat: a stored message, a message still in the outbox, or an upload. */
export interface Row {
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

const MEDIA_KINDS = ['image', 'file', 'voice', 'video'];

/**
 * The row of a stored message. Rows are cached per message object (the store replaces a
 * message when it changes) together with what else they were drawn from, so a row object
 * stays the same from render to render while nothing it shows has changed.
 */
function messageRow(m: Message, conv: Conversation, me: number, memberName: (id: number) => string): Row {
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
    kind: m.deleted ? m.kind : photo ? 'image' : file ? 'file' : voice ? 'voice' : video ? 'video' : MEDIA_KINDS.includes(m.kind) ? 'unsupported' : m.kind,
    mine: m.sender_id === me,
    sender: m.sender_id,
    ts: m.ts,
    seq: m.seq,
    status: m.sender_id === me ? messageStatus(conv, m.seq, m.ts, me) : undefined,
    clientId: m.client_id,
    replyTo: m.deleted ? undefined : m.reply_to,
  };
}

interface Cached {
  row: Row;
  memberName: (id: number) => string;
}

/** Row objects by message object: a chat's rows survive the re-renders that do not touch them. */
const cache = new WeakMap<Message, Cached>();

/**
 * The rows of a conversation, oldest first: its visible stored messages, then what is still
 * in the outbox, then uploads in progress. `memberName` must keep its identity while the names
 * it gives stay the same (rows drawn with another one are made again).
 */
export function chatRows(client: ParleyClient, conv: Conversation, memberName: (id: number) => string): Row[] {
  const me = client.session.user.id;
  const conversationId = conv.id;
  const rows: Row[] = [];
  // Pending rows whose message was stored meanwhile are not drawn twice. Only looked for when
  // something is pending: a long chat re-renders often (each page of older messages), and a
  // set of thousands of client ids each time was garbage for nothing.
  const pending = client.outbox.forConversation(conversationId);
  const acked = pending.length > 0 ? new Set<string | undefined>() : null;
  for (const m of client.store.messages(conversationId)) {
    if (m.hidden) continue;
    const hit = cache.get(m);
    let row: Row;
    if (hit && hit.memberName === memberName) {
      row = hit.row;
      // Receipts move a sent message's ticks without replacing the message.
      if (row.mine) {
        const status = messageStatus(conv, m.seq, m.ts, me);
        if (status !== row.status) {
          row = { ...row, status };
          cache.set(m, { row, memberName });
        }
      }
    } else {
      row = messageRow(m, conv, me, memberName);
      cache.set(m, { row, memberName });
    }
    rows.push(row);
    acked?.add(row.clientId);
  }
  for (const e of pending) {
    if (acked!.has(e.client_id)) continue;
    rows.push({ key: `p${e.client_id}`, text: e.text, kind: e.image ? 'image' : e.file ? 'file' : e.voice ? 'voice' : e.video ? 'video' : 'text', image: e.image, file: e.file, voice: e.voice, video: e.video, mine: true, sender: me, ts: e.created_at, status: pendingStatus(e), clientId: e.client_id, error: e.error, replyTo: e.reply_to });
  }
  for (const u of client.uploads) {
    if (u.conversation_id !== conversationId) continue;
    rows.push({ key: `u${u.id}`, text: u.caption, kind: u.kind ?? 'image', mine: true, sender: me, ts: u.created_at, upload: u.id });
  }
  return rows;
}

/** Whether a row starts a new day (a day marker above it) and whether it continues its sender's run. */
export function rowPlacement(prev: Row | undefined, r: Row): { newDay: boolean; grouped: boolean } {
  const newDay = startsDay(prev, r);
  return { newDay, grouped: continuesRun(prev, r, newDay) };
}

/** Local calendar days of rows, by row object (stored rows keep theirs from render to render). */
const days = new WeakMap<Row, number>();

/** The local calendar day `r` was sent on, as one number (year, month and day of the month). */
function dayOf(r: Row): number {
  let d = days.get(r);
  if (d === undefined) {
    const t = new Date(r.ts);
    d = (t.getFullYear() * 16 + t.getMonth()) * 32 + t.getDate();
    days.set(r, d);
  }
  return d;
}

/**
 * Whether `r` starts a new day (a day marker above it). As rowPlacement, without making an
 * object or dates per row: a long chat places every drawn row on each render.
 */
export function startsDay(prev: Row | undefined, r: Row): boolean {
  return !prev || dayOf(prev) !== dayOf(r);
}

/** Whether `r` continues its sender's run, given whether it starts a new day. */
export function continuesRun(prev: Row | undefined, r: Row, newDay: boolean): boolean {
  return !!prev && !newDay && prev.sender === r.sender && prev.kind !== 'system' && r.kind !== 'system';
}

/** Fields of two rows of the same key that change what is drawn (a stored row's are all in its message). */
export function sameRow(a: Row, b: Row): boolean {
  if (a === b) return true;
  if (a.key !== b.key || a.message !== b.message || a.status !== b.status || a.system !== b.system) return false;
  if (a.message) return true;
  return a.text === b.text && a.error === b.error && a.kind === b.kind && a.image === b.image && a.file === b.file &&
    a.voice === b.voice && a.video === b.video && a.replyTo === b.replyTo && a.ts === b.ts && a.upload === undefined && b.upload === undefined;
}
