// Wire objects of protocol v1 (docs/protocol.md). Ids are integers below 2^53.

export interface User {
  id: number;
  username: string;
  display_name: string;
  /** Present (true) only for an account its user deleted; display_name is then "Deleted account". */
  deleted?: boolean;
}

export interface Message {
  id: number;
  conversation_id: number;
  seq: number;
  sender_id: number;
  client_id: string;
  kind: string;
  text: string;
  ts: number;
  /** Present on `kind: "system"` messages: a change to a group. */
  system?: SystemEvent;
  /** Version of the newest change to the message as this user sees it (sending, edit, deletion, hide). */
  version?: number;
  /** Set once the message was edited: time of the last edit. */
  edited_at?: number;
  /** Deleted for everyone: `text` is "". */
  deleted?: boolean;
  deleted_at?: number;
  /** Hidden by this user ("delete for me"): `text` is "", not shown. */
  hidden?: boolean;
  /** Present on `kind: "image"` messages: the photo (`text` is its caption). */
  image?: ImageInfo;
  /** Present on `kind: "file"` messages: the document (`text` is its caption). */
  file?: FileInfo;
  /** Present on `kind: "voice"` messages: the recording (`text` is empty). */
  voice?: VoiceInfo;
  /** Present on `kind: "video"` messages: the video (`text` is its caption). */
  video?: VideoInfo;
  /** A reply: the seq of the quoted message in the same conversation. */
  reply_to?: number;
  /** A copy sent with "forward": shown with a "Forwarded" label. */
  forwarded?: boolean;
  /** Reactions grouped by emoji (docs/protocol.md, "Reactions"); absent when there are none. */
  reactions?: ReactionGroup[];
}

/** One emoji on a message and who put it there, in the order they reacted. */
export interface ReactionGroup {
  emoji: string;
  user_ids: number[];
}

/** The image object of a photo message or an upload (docs/protocol.md, "Photos"). */
export interface ImageInfo {
  media_id: string;
  mime: string;
  width: number;
  height: number;
  size: number;
  /** A tiny JPEG as a data: URI, shown blurred until the thumbnail arrives. */
  placeholder: string;
  thumbnail: { mime: string; width: number; height: number; size: number };
}

/** The file object of a document message (docs/protocol.md, "Files and voice messages"). */
export interface FileInfo {
  media_id: string;
  /** Sanitised by the server; the download is saved under it. */
  name: string;
  mime: string;
  size: number;
}

/** The video object of a video message (docs/protocol.md, "Videos"); measured by the server. */
export interface VideoInfo {
  media_id: string;
  /** "video/mp4" | "video/webm". */
  mime: string;
  width: number;
  height: number;
  size: number;
  duration_ms: number;
  /** A tiny JPEG of the first frame as a data: URI, shown blurred until the poster arrives. */
  placeholder: string;
  poster: { mime: string; width: number; height: number; size: number };
}

/** The voice object of a voice message: Opus audio, with what the sender measured. */
export interface VoiceInfo {
  media_id: string;
  mime: string;
  size: number;
  duration_ms: number;
  /** 64 peak levels (0..255) in standard base64. */
  waveform: string;
}

/** The `system` object of a group's system message (docs/protocol.md, "Objects"). */
export interface SystemEvent {
  event: string;
  actor_id: number | null;
  users?: User[];
  name?: string;
  description?: string;
  /** On `event: "call"`: the call this history line records (docs/protocol.md, "Calls"). */
  call?: CallRecord;
}

/** How a call ended, as its history message records it. */
export type CallOutcome = 'completed' | 'missed' | 'declined' | 'busy' | 'cancelled';

/** The `call` object of a call-history system message. */
export interface CallRecord {
  call_id: string;
  media: 'audio' | 'video';
  outcome: CallOutcome;
  /** Talk time (answered to ended); 0 unless completed. */
  duration_ms: number;
}

export interface Member {
  user: User;
  delivered_seq: number;
  read_seq: number;
  /** "admin" or "member" (always "member" in direct conversations). */
  role?: string;
  /** Only on the members route of a group. */
  joined_at?: number;
}

export type Role = 'admin' | 'member';

export interface Conversation {
  id: number;
  /** This user's own chat-list state (docs/protocol.md, "Pinned and archived chats"). */
  pinned?: boolean;
  pinned_at?: number | null;
  archived?: boolean;
  kind: string;
  peer?: User | null;
  members: Member[];
  last_seq: number;
  last_activity: number;
  unread?: number;
  created_at: number;
  last_message: Message | null;
  version: number;
  // ---- groups (kind "group"); `members` then holds only the viewer's own entry ----
  name?: string;
  description?: string;
  member_count?: number;
  /** The viewer's role. */
  role?: string;
  /** True once the viewer left or was removed. */
  left?: boolean;
  min_delivered_seq?: number;
  min_read_seq?: number;
  /** Push notifications muted until then (ms since epoch); 0 or absent: not muted; MUTED_ALWAYS: until unmuted. Private to the viewer. */
  muted_until?: number;
  // ---- client-side only (kept in IndexedDB with the conversation) ----
  /** last_seq of the server object or system message the group fields above come from. */
  state_seq?: number;
  /** Active members with their watermarks (GET members, then receipts frames and system messages). */
  roster?: Member[];
  /** Local max seq when the roster was fetched; system messages up to it are already in it. */
  roster_seq?: number;
  /** True when the roster may be out of date (a member we do not know showed up). */
  roster_stale?: boolean;
  /** Everyone ever seen in this conversation, for names of senders who left. */
  people?: Record<string, User>;
}

export interface ReceiptsEntry {
  user_id: number;
  delivered_seq: number;
  read_seq: number;
  version?: number;
}

export interface ReceiptsEvent {
  type: 'receipts';
  conversation_id: number;
  receipts: ReceiptsEntry[];
}

/** One row of GET /conversations/{id}/messages/{seq}/receipts. */
export interface MessageReceipt {
  user: User;
  delivered_at: number | null;
  read_at: number | null;
  /** Voice messages: when this member first played it (absent from older servers). */
  played_at?: number | null;
}

export interface AuthResult {
  user: User;
  token: string;
  session_id: number;
  expires_at: number;
}

export interface ReceiptEvent {
  type: 'receipt';
  conversation_id: number;
  user_id: number;
  delivered_seq: number;
  read_seq: number;
  version?: number;
}

export interface SyncPage {
  version: number;
  has_more: boolean;
  conversations: Conversation[];
}

/** GET /conversations/{id}/changes and the `changes` frame: new and changed messages by version. */
export interface ChangesPage {
  messages: Message[];
  has_more: boolean;
}

/** One piece of a search snippet; `match` marks the matched words. */
export interface SearchSegment {
  text: string;
  match?: boolean;
}

export interface SearchResult {
  message: Message;
  snippet: SearchSegment[];
  rank?: number;
}

export interface SearchPage {
  results: SearchResult[];
  has_more: boolean;
  next_offset?: number;
}

export interface HistoryPage {
  messages: Message[];
  has_more: boolean;
}

/** Status of one of the user's own messages, derived on the client. */
export type MessageStatus = 'sending' | 'sent' | 'delivered' | 'read' | 'failed';

/** A message the user wrote that the server has not acknowledged yet. */
export interface OutboxEntry {
  client_id: string;
  conversation_id: number;
  text: string;
  /** Local creation time (device clock), only for display and ordering of pending items. */
  created_at: number;
  /** Monotonic position in the outbox; drains in this order within a conversation. */
  order: number;
  state: 'pending' | 'failed';
  attempts: number;
  error?: string;
  /** A photo already uploaded: the message is of kind "image" and `text` its caption. */
  image?: ImageInfo;
  /** A document already uploaded: the message is of kind "file". */
  file?: FileInfo;
  /** A voice clip already uploaded: the message is of kind "voice" (sent with its duration and waveform). */
  voice?: VoiceInfo;
  /** A video already uploaded: the message is of kind "video" and `text` its caption. */
  video?: VideoInfo;
  /** A reply: the seq of the quoted message (sent as `reply_to`). */
  reply_to?: number;
}

/** Error codes after which a send is worth retrying with the same client_id. */
export const TRANSIENT_CODES: ReadonlySet<string> = new Set(['rate_limited', 'internal', 'unavailable']);

export class ApiError extends Error {
  constructor(
    public readonly code: string,
    message: string,
    public readonly status = 0,
    public readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** muted_until of a conversation muted "always" (docs/protocol.md, "Mute"). */
export const MUTED_ALWAYS = 9007199254740991;
