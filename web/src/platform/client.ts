import { shownName, sortContacts, type Contact } from '../core/contacts';
import { isGroup } from '../core/groups';
import { presenceSubscription, sameIds, type Presence } from '../core/presence';
import { TypingSender, TypingState } from '../core/typing';
import { Outbox } from '../core/outbox';
import { ReceiptQueue, type Owed } from '../core/receipts';
import { isNewerMessage } from '../core/edits';
import { applyReaction } from '../core/reactions';
import { ChatStore } from '../core/store';
import { prepareListFormatters } from '../core/format';
import { Drafts } from '../core/drafts';
import { catchUp, runSync, type SyncTransport } from '../core/sync';
import {
  ApiError,
  type ChangesPage,
  type Conversation,
  type HistoryPage,
  type FileInfo,
  type ImageInfo,
  type Member,
  type Message,
  type MessageReceipt,
  type OutboxEntry,
  type Role,
  type SearchPage,
  type SyncPage,
  type User,
  type VideoInfo,
  type VoiceInfo,
} from '../core/types';
import { API, http, uploadFile } from './api';
import { LinkCache, type Links } from '../core/media';
import { Connection, HeldHandlers, type ConnState, type ConnectionHandlers } from './connection';
import { LocalDb } from './db';
import { afterNextPaint } from './frames';

/** Who may add a user to groups (docs/protocol.md, privacy). */
export type GroupsAdd = 'everyone' | 'contacts' | 'nobody';

/**
 * Where call signalling goes (docs/protocol.md, "Calls"): the calls module, which loads
 * lazily. Until it attaches, its events wait in the client (in order, bounded).
 */
export interface CallSink {
  /** A call_incoming, call_accepted, call_ice or call_ended event. */
  event(frame: any): void;
  /** The WebSocket closed: the server ends this device's call ("disconnected"). */
  connectionLost(): void;
}

/** Call events held for the calls module before it attached; beyond this the oldest go. */
const CALL_EVENTS_HELD = 200;

export interface Session {
  token: string;
  user: User;
  session_id: number;
}

/** A photo on its way up (docs/protocol.md, "POST /api/v1/media"). */
/** The categories of a chat's "media, links and docs". */
export type MediaCategory = 'media' | 'docs' | 'voice' | 'links';

export interface PhotoUpload {
  id: number;
  conversation_id: number;
  caption: string;
  loaded: number;
  total: number;
  created_at: number;
  /** An object URL of the local file, shown while it uploads. */
  preview: string;
  /** The error code when the upload failed. */
  error?: string;
  /** A document, voice clip or video rather than a photo (`preview` is then empty). */
  kind?: 'file' | 'voice' | 'video';
  /** A document's file name as picked. */
  name?: string;
}

/**
 * Glue between the state logic, the local database and the network. The UI reads the
 * store and outbox and calls the methods here; `subscribe` tells it when to re-render.
 */
export class ParleyClient {
  readonly store: ChatStore;
  readonly outbox: Outbox;
  /** Unsent text per chat, kept across chat switches and reloads. */
  readonly drafts: Drafts;
  connState: ConnState = 'offline';
  syncing = false;
  /** Set when the server says the session is gone. */
  onSignedOut?: () => void;
  /** Called for a message from someone else that arrived live. */
  onIncoming?: (m: Message, conv: Conversation | undefined) => void;

  private listeners = new Set<() => void>();
  private emitQueued = false;
  private saveQueued = false;
  private lastRender = -Infinity;
  static readonly FRAME_MS = 16;
  /**
   * Chats (the most recently active) whose newest messages a sync fetches when none are held;
   * the others fetch them when opened. Their last message comes with the chat list anyway.
   */
  static readonly SYNC_FIRST_PAGES = 100;
  private version = 0;
  private openId: number | null = null;
  private visible = true;
  /** Receipts owed to the server, sent a bounded number at a time (core/receipts.ts). */
  private receipts!: ReceiptQueue;
  private owedSaveTimer: ReturnType<typeof setTimeout> | undefined;
  private syncAgain = false;
  private wakeTimer: ReturnType<typeof setTimeout> | undefined;
  private olderExhausted = new Set<number>();
  private closed = false;
  /** Groups whose member list was fetched since the app started, and fetches in flight. */
  private rosterFresh = new Set<number>();
  private rosterBusy = new Map<number, Promise<void>>();

  // ---- presence, typing, contacts, blocks (presence and typing are live only) ----
  /** Presence of the users subscribed to, as the server reported it on this connection. */
  readonly presence = new Map<number, Presence>();
  readonly typing: TypingState;
  /** Contacts by user id (kept in IndexedDB so nicknames show offline). */
  contacts = new Map<number, Contact>();
  /** Users this user blocked, most recent first. */
  blocked: User[] = [];
  /** The "hide my last seen" setting; undefined until loaded. */
  hideLastSeen: boolean | undefined;
  /** Who may add this user to groups (privacy); undefined until loaded. */
  groupsAdd: GroupsAdd | undefined;
  private visibleConvs: number[] = [];
  private subSent: number[] | null = null;
  private subBusy = false;
  private typingSenders = new Map<number, TypingSender>();
  private typingIdleTimers = new Map<number, ReturnType<typeof setTimeout>>();
  private typingExpiryTimer: ReturnType<typeof setTimeout> | undefined;
  private presenceRecheck: ReturnType<typeof setTimeout> | undefined;
  private visibleTimer: ReturnType<typeof setTimeout> | undefined;
  static readonly VISIBLE_SETTLE_MS = 250;

  // ---- replies: quoted messages not held in the store, by "conversation:seq" ----
  private quotes = new Map<string, Message | null>();
  private quoteFetches = new Set<string>();

  // ---- calls ----
  private callSink: CallSink | null = null;
  private callEvents: any[] = [];

  // ---- photos ----
  /** Photos being uploaded (before they become outbox entries), in the order picked. */
  uploads: PhotoUpload[] = [];
  private nextUploadId = 1;
  private readonly links = new LinkCache((id) => http<{ links: Links }>('GET', `/media/${id}`, undefined, this.session.token).then((r) => r.links));

  private constructor(
    readonly session: Session,
    private readonly db: LocalDb,
    private readonly conn: Connection,
    conversations: Conversation[],
    messages: Message[],
    outbox: OutboxEntry[],
    version: number,
    owed: Owed,
    contacts: Contact[],
    blocked: User[],
  ) {
    this.store = new ChatStore(session.user.id);
    this.drafts = new Drafts(localStorage, session.user.id);
    this.typing = new TypingState(session.user.id);
    for (const c of contacts) this.contacts.set(c.user.id, c);
    this.blocked = blocked;
    for (const c of conversations) this.store.upsertConversation(c);
    this.store.addMessages(messages, { detectGaps: false });
    this.store.takeChanges();
    this.outbox = new Outbox(outbox, {
      persist: {
        put: (e) => void this.db.putOutbox(e),
        delete: (id) => void this.db.deleteOutbox(id),
      },
    });
    this.version = version;
    this.receipts = new ReceiptQueue(owed, {
      send: (kind, conversation_id, seq) => this.conn.request({ type: kind, conversation_id, seq }),
      ready: () => this.conn.isReady && !this.closed,
      acked: (kind, id, seq) => {
        if (this.store.markOwn(id, kind, seq)) this.emit();
      },
      dropped: (kind, id, seq, code) => console.warn(`${kind} receipt for chat ${id} up to ${seq} refused: ${code}`),
      changed: () => this.saveOwedSoon(),
    });
    this.connHandlers = {
      onReady: () => this.afterConnect(),
      onEvent: (f) => this.onEvent(f),
      onState: (s) => {
        this.connState = s;
        this.emit();
      },
      onAuthFailed: () => this.signedOut(),
      onDisconnect: () => {
        this.outbox.connectionLost();
        // Presence and typing are only true while connected.
        this.presence.clear();
        this.typing.reset();
        this.subSent = null;
        for (const s of this.typingSenders.values()) s.stop();
        this.callSink?.connectionLost();
        this.emit();
      },
    };
  }

  /** What the connection tells the client (handed over by start()). */
  private readonly connHandlers: ConnectionHandlers;

  /**
   * Opens the local database and loads it, and connects. The socket opens and authenticates
   * while the database opens and loads (both mostly wait on other threads): on a cold start
   * the handshake and `auth` no longer wait for the database. What the connection says before
   * the client exists is held and handed over (HeldHandlers). Rejects when the database cannot
   * be opened (the connection is closed then).
   */
  static async start(session: Session): Promise<ParleyClient> {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const held = new HeldHandlers();
    const conn = new Connection(`${proto}//${location.host}/api/v1/ws`, session.token, held);
    conn.start();
    let c: ParleyClient;
    try {
      const db = await LocalDb.open(session.user.id);
      const [convs, msgs, outbox, version, owed, contacts, blocked] = await Promise.all([
        db.loadConversations(),
        db.loadMessages(),
        db.loadOutbox(),
        db.getMeta<number>('version'),
        db.getMeta<Owed>('owed'),
        db.getMeta<Contact[]>('contacts'),
        db.getMeta<User[]>('blocked'),
      ]);
      c = new ParleyClient(session, db, conn, convs, msgs, outbox, version ?? 0, owed ?? {}, contacts ?? [], blocked ?? []);
    } catch (e) {
      conn.stop();
      throw e;
    }
    window.addEventListener('online', c.onOnline);
    window.addEventListener('offline', c.onOffline);
    held.attach(c.connHandlers, conn.state);
    return c;
  }

  private onOnline = () => this.conn.kick();
  private onOffline = () => this.conn.goOffline();

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Persists what changed and re-renders. A change after a quiet moment renders at once (in a
   * microtask), so every state a user can see is drawn; changes that follow within the same
   * frame are batched into one render at the next frame, so a burst of events (a sync, a
   * hundred receipt answers) costs a few renders, not one each. A hidden page has no frames:
   * there a zero-delay timer stands in (the title's unread count must still follow).
   */
  private emit(): void {
    this.saveSoon();
    if (this.emitQueued) return;
    this.emitQueued = true;
    const run = () => {
      if (!this.emitQueued) return;
      this.emitQueued = false;
      this.lastRender = performance.now();
      for (const fn of this.listeners) fn();
    };
    if (performance.now() - this.lastRender > ParleyClient.FRAME_MS) {
      queueMicrotask(run);
    } else if (typeof requestAnimationFrame === 'function' && document.visibilityState === 'visible') {
      requestAnimationFrame(run);
      setTimeout(run, 100); // a frame that never comes (a page hidden meanwhile) must not stall
    } else {
      setTimeout(run, 0);
    }
  }

  /**
   * Writes what changed in the store to the local database in a task of its own, after the
   * render: copying and writing a page of messages or a hundred chats in the same task as
   * drawing them made the longest tasks of a first sync and of scrolling back.
   */
  private saveSoon(): void {
    if (this.saveQueued) return;
    this.saveQueued = true;
    setTimeout(() => {
      if (!this.closed) this.saveNow(); // close() wrote what was left
    }, 0);
  }

  /** Writes what changed now (before storing a sync cursor that relies on it). */
  private saveNow(): void {
    this.saveQueued = false;
    const ch = this.store.takeChanges();
    if (ch.conversations.length || ch.messages.length) void this.db.save(ch.conversations, ch.messages);
  }

  // ---------- connection lifecycle ----------

  /**
   * A device that holds nothing (a new sign-in) draws the top of its chat list from the
   * `conversations` page (newest first) while the first sync, which goes in version order
   * (oldest changes first), is still under way. The sync brings the same chats again.
   */
  private loadFirstScreen(): Promise<void> {
    // The list's first formatter is slow to make: made while the answer is on its way, it is
    // not part of the task that draws the list.
    setTimeout(() => prepareListFormatters(), 0);
    return this.conn
      .request<{ conversations: Conversation[] }>({ type: 'conversations', limit: ParleyClient.FIRST_SCREEN_CHATS })
      .then(async (r) => {
        let changed = false;
        for (const c of r.conversations ?? []) if (this.store.upsertConversation(c)) changed = true;
        if (changed) {
          this.emit();
          await afterNextPaint();
        }
      })
      .catch(() => undefined); // the sync brings them anyway
  }

  /**
   * On a device that holds nothing, the first sync waits for this: the `conversations` page
   * answered and drawn. Started together, the sync's first pages (hundreds of chats to merge)
   * were handled in the tasks before the list's first frame and held it back.
   */
  private firstScreen: Promise<void> | null = null;

  private transport: SyncTransport = {
    sync: (since, limit) => this.conn.request<SyncPage>({ type: 'sync', since, limit }),
    history: (conversation_id, p) => this.conn.request<HistoryPage>({ type: 'history', conversation_id, ...p }),
    changes: (conversation_id, since, limit) => this.conn.request<ChangesPage>({ type: 'changes', conversation_id, since, limit }),
  };

  /** Chats asked for newest first on a device that holds none, before the first sync's pages. */
  static readonly FIRST_SCREEN_CHATS = 30;

  private afterConnect(): void {
    this.pump();
    this.receipts.resume();
    if (this.version === 0 && this.store.conversations().length === 0) this.firstScreen = this.loadFirstScreen();
    void this.sync();
    this.subSent = null;
    this.updatePresence();
    void this.loadContacts().catch(() => undefined);
    // Neither is drawn in the chat list: asked for after its first frame on a new device.
    void (this.firstScreen ?? Promise.resolve()).then(() => {
      void this.loadBlocks().catch(() => undefined);
      void this.loadPrivacy().catch(() => undefined);
    });
  }

  /** sync since the stored version, catch up changed conversations, then store the version. */
  async sync(): Promise<void> {
    if (this.syncing) {
      this.syncAgain = true;
      return;
    }
    this.syncing = true;
    this.emit();
    try {
      if (this.firstScreen) {
        await this.firstScreen;
        this.firstScreen = null;
      }
      do {
        this.syncAgain = false;
        const r = await runSync(this.transport, this.store, this.version, {
          firstPages: ParleyClient.SYNC_FIRST_PAGES,
          onProgress: () => this.emit(),
        });
        for (const id of r.changed) if (this.needsRoster(id)) this.rosterFresh.delete(id);
        this.refreshRosters();
        this.collectOwedDelivered(this.store.conversations().map((c) => c.id));
        this.markReadIfOpen();
        this.emit();
        this.saveNow();
        await this.db.flush();
        this.version = r.version;
        await this.db.setMeta('version', r.version);
      } while (this.syncAgain && !this.closed);
    } catch (e) {
      if (!(e instanceof ApiError) || (e.code !== 'disconnected' && e.code !== 'timeout')) console.warn('sync failed', e);
    } finally {
      this.syncing = false;
      this.emit();
      this.flushReceipts();
    }
  }

  private onEvent(f: any): void {
    switch (f.type) {
      case 'message': {
        const m = f.message as Message;
        if (!m || typeof m.seq !== 'number') return;
        const r = this.store.addMessages([m]);
        if (this.typing.messageFrom(m.conversation_id, m.sender_id)) this.scheduleTypingExpiry();
        for (const g of r.gaps) void catchUp(this.transport, this.store, g.conversation_id, g.after).then(() => this.emit(), () => undefined);
        if (r.unknown.length) void this.sync();
        if (r.added.length && m.sender_id !== this.session.user.id && !this.store.conversation(m.conversation_id)?.left) {
          this.owe(m.conversation_id, 'delivered', m.seq);
          this.onIncoming?.(m, this.store.conversation(m.conversation_id));
        }
        this.markReadIfOpen();
        this.emit();
        this.flushReceipts();
        return;
      }
      case 'receipt':
        if (this.store.applyReceipt(f)) this.emit();
        this.refreshIfStale(f.conversation_id);
        return;
      case 'receipts':
        if (typeof f.conversation_id !== 'number' || !Array.isArray(f.receipts)) return;
        if (this.store.applyReceipts(f)) this.emit();
        this.refreshIfStale(f.conversation_id);
        return;
      case 'presence':
        if (typeof f.user_id === 'number' && this.subSent?.includes(f.user_id)) {
          this.presence.set(f.user_id, { online: !!f.online, last_seen: typeof f.last_seen === 'number' ? f.last_seen : null });
          this.emit();
          // The server's live event can carry a last seen that the subscription answer would
          // hide (privacy); the answer is authoritative, so ask again once things settle.
          if (!f.online && typeof f.last_seen === 'number') {
            clearTimeout(this.presenceRecheck);
            this.presenceRecheck = setTimeout(() => this.resubscribe(), 150);
          }
        }
        return;
      case 'typing':
        if (this.typing.apply(f, Date.now())) this.emit();
        this.scheduleTypingExpiry();
        return;
      case 'message_changed': {
        const m = f.message as Message;
        if (!m || typeof m.conversation_id !== 'number' || typeof m.seq !== 'number') return;
        const r = this.store.applyChanges([m]);
        this.updateQuote(m);
        for (const g of r.gaps) void catchUp(this.transport, this.store, g.conversation_id, g.after).then(() => this.emit(), () => undefined);
        if (r.unknown.length) void this.sync();
        this.emit();
        return;
      }
      case 'muted':
        if (typeof f.conversation_id === 'number' && typeof f.muted_until === 'number' && this.store.setMuted(f.conversation_id, f.muted_until)) this.emit();
        return;
      case 'reaction':
        if (typeof f.conversation_id !== 'number' || typeof f.seq !== 'number' || typeof f.user_id !== 'number') return;
        if (this.applyReactionLocally(f.conversation_id, f.seq, f.user_id, typeof f.emoji === 'string' ? f.emoji : null, f.version)) this.emit();
        return;
      case 'voice_played':
        if (typeof f.conversation_id !== 'number' || typeof f.seq !== 'number' || typeof f.user_id !== 'number') return;
        this.notePlayed(f.conversation_id, f.seq, f.user_id);
        return;
      case 'chat_state_changed':
        if (typeof f.conversation_id !== 'number') return;
        if (this.store.applyChatState(f.conversation_id, f)) this.emit();
        return;
      case 'message_hidden':
        if (typeof f.conversation_id !== 'number' || typeof f.seq !== 'number') return;
        if (this.store.applyHidden(f.conversation_id, f.seq, typeof f.version === 'number' ? f.version : undefined)) this.emit();
        return;
      case 'conversation':
        if (f.conversation && this.store.upsertConversation(f.conversation)) this.emit();
        if (f.conversation && typeof f.conversation.id === 'number' && isGroup(f.conversation) && !f.conversation.left) {
          void this.refreshMembers(f.conversation.id).catch(() => undefined);
        }
        return;
      case 'call_incoming':
      case 'call_accepted':
      case 'call_ice':
      case 'call_ended':
        if (this.callSink) this.callSink.event(f);
        else if (this.callEvents.push(f) > CALL_EVENTS_HELD) this.callEvents.shift();
        return;
      case 'resync':
        // The server may have lost events for this device (cluster bus): catch up as after
        // a reconnect (docs/protocol.md, "Events lost between nodes").
        void this.sync();
        return;
    }
  }

  // ---------- sending ----------

  /** Sends a text message; with `replyTo` it quotes that seq of the conversation. */
  send(conversationId: number, text: string, replyTo?: number): void {
    this.typingStop(conversationId);
    this.outbox.add(conversationId, text, undefined, replyTo);
    this.emit();
    this.pump();
  }

  /**
   * Uploads a photo (showing progress in `uploads`), then sends it like a message with
   * `caption` as its text. A failed upload stays in `uploads` with its error until dismissed.
   */
  sendPhoto(conversationId: number, file: Blob, caption: string): void {
    const up: PhotoUpload = {
      id: this.nextUploadId++,
      conversation_id: conversationId,
      caption,
      loaded: 0,
      total: file.size,
      created_at: Date.now(),
      preview: URL.createObjectURL(file),
    };
    this.uploads = [...this.uploads, up];
    this.emit();
    const update = (patch: Partial<PhotoUpload>) => {
      this.uploads = this.uploads.map((u) => (u.id === up.id ? { ...u, ...patch } : u));
      this.emit();
    };
    uploadFile<{ media: ImageInfo }>('/media', file, this.session.token, (loaded, total) => update({ loaded, total })).then(
      (r) => {
        this.dismissUpload(up.id);
        this.typingStop(conversationId);
        this.outbox.add(conversationId, caption, r.media);
        this.emit();
        this.pump();
      },
      (err: unknown) => update({ error: err instanceof ApiError ? err.code : 'internal' }),
    );
  }

  /**
   * Uploads a document (any file) under its name, then sends it as a `file` message with
   * `caption` as its text.
   */
  sendDocument(conversationId: number, file: File, caption: string): void {
    const q = `kind=file&name=${encodeURIComponent(file.name)}`;
    this.uploadThenSend(conversationId, file, caption, 'file', file.name, q, file.type || 'application/octet-stream', (media) => ({
      file: { media_id: media.media_id, name: media.name ?? file.name, mime: media.mime, size: media.size },
    }));
  }

  /**
   * Uploads a recording (Opus in WebM or Ogg) and sends it as a `voice` message with the
   * duration and waveform the recorder measured (docs/protocol.md: computed by the client).
   */
  sendVoice(conversationId: number, clip: Blob, durationMs: number, waveform: string): void {
    this.uploadThenSend(conversationId, clip, '', 'voice', undefined, 'kind=voice', clip.type || 'audio/webm', (media) => ({
      voice: { media_id: media.media_id, mime: media.mime, size: media.size, duration_ms: Math.max(1, Math.round(durationMs)), waveform },
    }));
  }

  /**
   * Uploads a video (MP4, MOV or WebM; the server checks, strips and remuxes it) and sends
   * it as a `video` message with `caption` as its text.
   */
  sendVideo(conversationId: number, file: File, caption: string): void {
    this.uploadThenSend(conversationId, file, caption, 'video', file.name, 'kind=video', file.type || 'video/mp4', (media) => ({
      video: media as unknown as VideoInfo,
    }));
  }

  private uploadThenSend(
    conversationId: number,
    blob: Blob,
    caption: string,
    kind: 'file' | 'voice' | 'video',
    name: string | undefined,
    query: string,
    contentType: string,
    attachment: (media: { media_id: string; mime: string; size: number; name?: string }) => { file?: FileInfo; voice?: VoiceInfo; video?: VideoInfo },
  ): void {
    const up: PhotoUpload = { id: this.nextUploadId++, conversation_id: conversationId, caption, loaded: 0, total: blob.size, created_at: Date.now(), preview: '', kind, name };
    this.uploads = [...this.uploads, up];
    this.emit();
    const update = (patch: Partial<PhotoUpload>) => {
      this.uploads = this.uploads.map((u) => (u.id === up.id ? { ...u, ...patch } : u));
      this.emit();
    };
    uploadFile<{ media: { media_id: string; mime: string; size: number; name?: string } }>(`/media?${query}`, blob, this.session.token, (loaded, total) => update({ loaded, total }), contentType).then(
      (r) => {
        this.dismissUpload(up.id);
        this.outbox.add(conversationId, caption, undefined, undefined, attachment(r.media));
        this.emit();
        this.pump();
      },
      (err: unknown) => update({ error: err instanceof ApiError ? err.code : 'internal' }),
    );
  }

  dismissUpload(id: number): void {
    const up = this.uploads.find((u) => u.id === id);
    if (!up) return;
    if (up.preview) URL.revokeObjectURL(up.preview);
    this.uploads = this.uploads.filter((u) => u.id !== id);
    this.emit();
  }

  /**
   * One page of a chat's "media, links and docs" (docs/protocol.md): `category` media |
   * docs | voice | links, newest first, older than `before` when given.
   */
  conversationMedia(conversationId: number, category: MediaCategory, before?: number, limit = 30): Promise<HistoryPage> {
    const q = `category=${category}&limit=${limit}${before ? `&before=${before}` : ''}`;
    return http<HistoryPage>('GET', `/conversations/${conversationId}/media?${q}`, undefined, this.session.token);
  }

  /** Signed links for a photo (cached until shortly before they expire). */
  photoLinks(mediaId: string): Promise<Links> {
    return this.links.get(mediaId);
  }

  retry(clientId: string): void {
    if (this.outbox.retry(clientId)) {
      this.emit();
      this.pump();
    }
  }

  discard(clientId: string): void {
    if (this.outbox.discard(clientId)) this.emit();
  }

  /** Sends whatever the outbox allows now (one in flight per conversation, in order). */
  private pump(): void {
    clearTimeout(this.wakeTimer);
    if (!this.conn.isReady) return;
    for (const e of this.outbox.ready()) {
      this.outbox.markInFlight(e.client_id);
      this.conn
        .request<{ message: Message; duplicate: boolean }>({
          type: 'send',
          conversation_id: e.conversation_id,
          client_id: e.client_id,
          text: e.text,
          ...(e.image ? { media_id: e.image.media_id } : {}),
          ...(e.file ? { media_id: e.file.media_id } : {}),
          ...(e.voice ? { media_id: e.voice.media_id, duration_ms: e.voice.duration_ms, waveform: e.voice.waveform } : {}),
          ...(e.video ? { media_id: e.video.media_id } : {}),
          ...(e.reply_to ? { reply_to: e.reply_to } : {}),
        })
        .then(
          (ack) => {
            this.store.addMessages([ack.message]);
            this.outbox.ack(e.client_id);
          },
          (err: unknown) => {
            const code = err instanceof ApiError ? err.code : 'internal';
            if (code === 'disconnected') return; // connectionLost() already put it back
            this.outbox.fail(e.client_id, code === 'timeout' ? 'unavailable' : code, err instanceof ApiError ? err.retryAfterMs : undefined);
          },
        )
        .finally(() => {
          this.emit();
          this.pump();
        });
    }
    const wake = this.outbox.nextWakeUp();
    if (wake !== undefined) this.wakeTimer = setTimeout(() => this.pump(), Math.max(0, wake - Date.now()) + 5);
  }

  // ---------- receipts ----------

  private owe(conversationId: number, kind: 'delivered' | 'read', seq: number): void {
    this.receipts.owe(conversationId, kind, seq);
    // The store counts a read as done at once (markReadIfOpen): write it before the answer, so
    // a reload right now still sends it. A delivered one is found again from the store.
    if (kind === 'read') this.saveOwedNow();
  }

  private saveOwedNow(): void {
    clearTimeout(this.owedSaveTimer);
    this.owedSaveTimer = undefined;
    void this.db.setMeta('owed', this.receipts.pending());
  }

  /**
   * Writes what is owed at most once a second: after a first sync a thousand receipts are owed
   * and answered within moments, and each write stores the whole set.
   */
  private saveOwedSoon(): void {
    if (this.owedSaveTimer !== undefined) return;
    this.owedSaveTimer = setTimeout(() => {
      this.owedSaveTimer = undefined;
      void this.db.setMeta('owed', this.receipts.pending());
    }, 1000);
  }

  /** Delivered receipts for messages from others beyond what the server knows about us. */
  private collectOwedDelivered(ids: number[]): void {
    for (const id of ids) {
      const me = this.store.myMember(id);
      const c = this.store.conversation(id);
      // The last message came with the conversation (the chat list shows it): it reached this
      // device even when the chat's messages are fetched only once it is opened.
      const last = c?.last_message && !c.last_message.hidden ? c.last_message.seq : 0;
      const max = Math.max(this.store.maxSeq(id), last);
      if (c?.left) continue; // the server takes no receipts from former members
      if (me && max > me.delivered_seq) this.owe(id, 'delivered', max);
    }
  }

  private markReadIfOpen(): void {
    if (this.openId === null || !this.visible) return;
    const seq = this.store.maxSeq(this.openId);
    const me = this.store.myMember(this.openId);
    if (seq > 0 && me && seq > me.read_seq) {
      this.store.markOwn(this.openId, 'read', seq);
      if (!this.store.conversation(this.openId)?.left) this.owe(this.openId, 'read', seq);
    }
  }

  private flushReceipts(): void {
    this.receipts.pump();
  }

  /** Which conversation the user looks at, and whether the page is visible. */
  setView(openId: number | null, visible: boolean): void {
    const opened = openId !== null ? this.store.conversation(openId) : undefined;
    if (openId !== null && openId !== this.openId && isGroup(opened) && !opened?.left) {
      this.rosterFresh.delete(openId); // opening a group shows its members: make them current
      void this.refreshMembers(openId).catch(() => undefined);
    }
    if (openId !== this.openId && this.openId !== null) this.typingStop(this.openId);
    this.openId = openId;
    this.visible = visible;
    this.updatePresence();
    this.markReadIfOpen();
    this.emit();
    this.flushReceipts();
  }

  // ---------- history and new chats ----------

  /** Loads older messages of a conversation (scrolling up). Resolves false when there are no more. */
  async loadOlder(conversationId: number, limit = 50): Promise<boolean> {
    if (this.olderExhausted.has(conversationId)) return false;
    const c = this.store.conversation(conversationId);
    const min = this.store.minSeq(conversationId);
    if (!c || c.last_seq === 0 || min === 1) {
      this.olderExhausted.add(conversationId);
      return false;
    }
    const q = min === 0 ? `limit=${limit}` : `before=${min}&limit=${limit}`;
    const page = await http<HistoryPage>('GET', `/conversations/${conversationId}/messages?${q}`, undefined, this.session.token);
    const r = this.store.addMessages(page.messages, { detectGaps: false });
    if (r.added.some((m) => m.sender_id !== this.session.user.id)) this.collectOwedDelivered([conversationId]);
    if (!page.has_more || this.store.minSeq(conversationId) === 1) this.olderExhausted.add(conversationId);
    this.emit();
    this.flushReceipts();
    return !this.olderExhausted.has(conversationId);
  }

  hasOlder(conversationId: number): boolean {
    if (this.olderExhausted.has(conversationId)) return false;
    const min = this.store.minSeq(conversationId);
    const c = this.store.conversation(conversationId);
    return !!c && c.last_seq > 0 && min !== 1;
  }

  /** Finds a user by name and opens (or creates) the direct conversation with them. */
  async startChat(username: string): Promise<number> {
    const t = this.session.token;
    await http<{ user: User }>('GET', `/users/${encodeURIComponent(username)}`, undefined, t);
    const r = await http<{ conversation: Conversation; created: boolean }>('POST', '/conversations', { peer_username: username }, t);
    this.store.upsertConversation(r.conversation);
    this.emit();
    if (r.conversation.last_seq > this.store.maxSeq(r.conversation.id)) {
      void this.loadOlder(r.conversation.id).catch(() => undefined);
    }
    return r.conversation.id;
  }

  // ---------- editing, deleting, searching ----------

  /** Edits an own text message (the server allows it for 15 minutes). Throws ApiError. */
  async editMessage(conversationId: number, seq: number, text: string): Promise<void> {
    const r = await http<{ message: Message; changed: boolean }>(
      'PATCH',
      `/conversations/${conversationId}/messages/${seq}`,
      { text },
      this.session.token,
    );
    if (r?.message) this.store.applyChanges([r.message]);
    this.emit();
  }

  /**
   * "Delete for me" (any message; hidden on all of this user's devices) or "delete for
   * everyone" (own messages, 48 hours). The local copy changes at once; the server's event
   * with the new version follows. Throws ApiError.
   */
  async deleteMessage(conversationId: number, seq: number, scope: 'me' | 'everyone'): Promise<void> {
    await http('DELETE', `/conversations/${conversationId}/messages/${seq}?for=${scope}`, undefined, this.session.token);
    if (scope === 'me') {
      this.store.applyHidden(conversationId, seq);
    } else {
      const held = this.store.message(conversationId, seq);
      if (held) this.store.applyChanges([{ ...held, text: '', deleted: true, deleted_at: Date.now() }]);
    }
    this.emit();
  }

  /** Full-text search over all chats, or one (`conversationId`). Needs the server. */
  search(q: string, opts: { conversationId?: number; offset?: number; limit?: number } = {}): Promise<SearchPage> {
    const p = new URLSearchParams({ q, limit: String(opts.limit ?? 20) });
    if (opts.conversationId !== undefined) p.set('conversation_id', String(opts.conversationId));
    if (opts.offset) p.set('offset', String(opts.offset));
    return http<SearchPage>('GET', `/search?${p}`, undefined, this.session.token);
  }

  /**
   * Makes sure the message `seq` of a conversation is held locally (a search result may be
   * older than what was loaded): history pages before the oldest held message until it is.
   */
  async loadUntil(conversationId: number, seq: number): Promise<void> {
    if (!this.store.conversation(conversationId)) await this.refreshConversation(conversationId);
    if (this.store.maxSeq(conversationId) === 0) await this.loadOlder(conversationId);
    for (let i = 0; i < 50; i++) {
      const min = this.store.minSeq(conversationId);
      if (min === 0 || min <= seq || this.olderExhausted.has(conversationId)) break;
      await this.loadOlder(conversationId, Math.min(200, min - seq + 20));
    }
    if (seq > this.store.maxSeq(conversationId)) await this.fetchNew(conversationId);
  }

  // ---------- pinned and archived chats ----------

  /** Pins/unpins and archives/unarchives a chat for this user (all their devices). Throws ApiError. */
  async setChatState(conversationId: number, state: { pinned?: boolean; archived?: boolean }): Promise<void> {
    const r = await http<{ pinned_at: number | null; archived: boolean }>('PATCH', `/conversations/${conversationId}/state`, state, this.session.token);
    if (this.store.applyChatState(conversationId, r)) this.emit();
  }

  // ---------- forwarding ----------

  /**
   * Forwards a message into up to five conversations (all or none; docs/protocol.md,
   * "Forwarding"). The copies are added to the local store. Throws ApiError.
   */
  async forward(conversationId: number, seq: number, to: number[]): Promise<void> {
    const r = await http<{ results: { message: Message; duplicate: boolean }[] }>(
      'POST',
      `/conversations/${conversationId}/messages/${seq}/forward`,
      { to, client_id: crypto.randomUUID() },
      this.session.token,
    );
    const added = this.store.addMessages(r.results.map((x) => x.message));
    for (const g of added.gaps) void catchUp(this.transport, this.store, g.conversation_id, g.after).then(() => this.emit(), () => undefined);
    if (added.unknown.length) void this.sync();
    this.emit();
  }

  // ---------- reactions ----------

  /** Sets (or with null removes) the user's one reaction on a message. Throws ApiError. */
  /** Voice messages played, per "conversation:seq": who played them (from voice_played events and own plays). */
  private played = new Map<string, Set<number>>();

  private notePlayed(conversationId: number, seq: number, userId: number): void {
    const key = `${conversationId}:${seq}`;
    const who = this.played.get(key) ?? new Set<number>();
    if (who.has(userId)) return;
    who.add(userId);
    this.played.set(key, who);
    this.emit();
  }

  /** Whether anyone but `exceptUser` is known to have played the voice message. */
  playedBy(conversationId: number, seq: number, exceptUser: number): boolean {
    const who = this.played.get(`${conversationId}:${seq}`);
    return !!who && [...who].some((u) => u !== exceptUser);
  }

  /** Tells the server the user started playing someone else's voice message ("played"). */
  markPlayed(conversationId: number, seq: number): void {
    const me = this.session.user.id;
    if (this.played.get(`${conversationId}:${seq}`)?.has(me)) return;
    http<{ changed: boolean }>('POST', `/conversations/${conversationId}/messages/${seq}/played`, undefined, this.session.token).then(
      () => this.notePlayed(conversationId, seq, me),
      () => undefined, // offline or refused: the next play tries again
    );
  }

  async react(conversationId: number, seq: number, emoji: string | null): Promise<void> {
    const path = `/conversations/${conversationId}/messages/${seq}/reaction`;
    const r = emoji
      ? await http<{ changed: boolean; version: number }>('PUT', path, { emoji }, this.session.token)
      : await http<{ changed: boolean; version: number }>('DELETE', path, undefined, this.session.token);
    if (this.applyReactionLocally(conversationId, seq, this.session.user.id, emoji, r?.version)) this.emit();
  }

  /** Applies one reaction change to the held message; true when something changed. */
  private applyReactionLocally(conversationId: number, seq: number, userId: number, emoji: string | null, version?: number): boolean {
    const held = this.store.message(conversationId, seq);
    if (!held) return false;
    const next = applyReaction(held, userId, emoji, typeof version === 'number' ? version : undefined);
    // The answer and the event of one change carry the same version: whichever comes second
    // is not newer and changes nothing.
    return this.store.applyChanges([next]).replaced.length > 0;
  }

  // ---------- replies ----------

  /**
   * The message a reply quotes, as this device knows it: the held copy, else one fetched once
   * with a one-message history page (docs/protocol.md, "Replies"). `undefined` while it is
   * being fetched (or cannot be, offline); `null` when the server has none the user can see.
   */
  quoted(conversationId: number, seq: number): Message | null | undefined {
    const held = this.store.message(conversationId, seq);
    if (held) return held;
    const key = `${conversationId}:${seq}`;
    if (this.quotes.has(key)) return this.quotes.get(key);
    if (this.quoteFetches.has(key)) return undefined;
    this.quoteFetches.add(key);
    http<HistoryPage>('GET', `/conversations/${conversationId}/messages?before=${seq + 1}&limit=1`, undefined, this.session.token).then(
      (page) => {
        const m = page.messages.find((x) => x.seq === seq);
        this.quotes.set(key, m ?? null);
        this.emit();
      },
      // Offline: asked again after the next sync.
      () => this.quoteFetches.delete(key),
    );
    return undefined;
  }

  /** Keeps a fetched quote in step with edits and deletions of its original. */
  private updateQuote(m: Message): void {
    const key = `${m.conversation_id}:${m.seq}`;
    const held = this.quotes.get(key);
    if (held && isNewerMessage(m, held)) this.quotes.set(key, m);
  }

  // ---------- groups ----------

  private needsRoster(id: number): boolean {
    const c = this.store.conversation(id);
    return !!c && isGroup(c) && !c.left;
  }

  /** Fetches, one at a time, the member lists of groups that have none (or a stale one), and the open group's. */
  private refreshRosters(): void {
    const ids = this.store
      .conversations()
      .filter((c) => isGroup(c) && !c.left && (!c.roster || c.roster_stale || (c.id === this.openId && !this.rosterFresh.has(c.id))))
      .map((c) => c.id);
    void (async () => {
      for (const id of ids) {
        if (this.closed) return;
        try {
          await this.refreshMembers(id);
        } catch {
          return; // offline: the cached lists stay
        }
      }
    })();
  }

  private refreshIfStale(id: unknown): void {
    if (typeof id !== 'number') return;
    const c = this.store.conversation(id);
    if (c && isGroup(c) && !c.left && c.roster_stale) void this.refreshMembers(id).catch(() => undefined);
  }

  /** GET members of a group into its roster (cached in IndexedDB with the conversation). */
  refreshMembers(id: number): Promise<void> {
    const busy = this.rosterBusy.get(id);
    if (busy) return busy;
    const p = (async () => {
      try {
        const atSeq = this.store.maxSeq(id);
        const r = await http<{ members: Member[] }>('GET', `/conversations/${id}/members`, undefined, this.session.token);
        this.store.setRoster(id, r.members, atSeq);
        this.rosterFresh.add(id);
        this.emit();
      } catch (e) {
        if (e instanceof ApiError && e.code === 'not_found') {
          // No longer a member: the conversation object says so.
          await this.refreshConversation(id).catch(() => undefined);
          return;
        }
        throw e;
      } finally {
        this.rosterBusy.delete(id);
      }
    })();
    this.rosterBusy.set(id, p);
    return p;
  }

  /** GET the conversation object and merge it, then fetch any messages not held yet. */
  async refreshConversation(id: number): Promise<void> {
    const r = await http<{ conversation: Conversation }>('GET', `/conversations/${id}`, undefined, this.session.token);
    this.store.upsertConversation(r.conversation);
    this.emit();
    await this.fetchNew(id);
  }

  /** Messages after the local max seq, over HTTP (works while the WebSocket reconnects). */
  private async fetchNew(id: number): Promise<void> {
    const c = this.store.conversation(id);
    const local = this.store.maxSeq(id);
    if (!c || c.last_seq <= local) return;
    if (local === 0) {
      await this.loadOlder(id);
      return;
    }
    let after = local;
    for (let i = 0; i < 20; i++) {
      const page = await http<HistoryPage>('GET', `/conversations/${id}/messages?after=${after}&limit=200`, undefined, this.session.token);
      this.store.addMessages(page.messages, { detectGaps: false });
      const last = page.messages.reduce((m, x) => Math.max(m, x.seq), after);
      if (!page.has_more || last <= after) break;
      after = last;
    }
    this.collectOwedDelivered([id]);
    this.markReadIfOpen();
    this.emit();
    this.flushReceipts();
  }

  /** After a group change: merge the answer, fetch the system message and the member list. */
  private async afterGroupChange(id: number, conv?: Conversation): Promise<void> {
    if (conv) this.store.upsertConversation(conv);
    this.emit();
    await Promise.allSettled([this.fetchNew(id), this.refreshMembers(id)]);
  }

  /** The user with this username (404 not_found when there is none). */
  async lookupUser(username: string): Promise<User> {
    const r = await http<{ user: User }>('GET', `/users/${encodeURIComponent(username)}`, undefined, this.session.token);
    return r.user;
  }

  async createGroup(name: string, description: string, usernames: string[]): Promise<number> {
    const r = await http<{ conversation: Conversation }>(
      'POST',
      '/groups',
      { name, description, member_usernames: usernames },
      this.session.token,
    );
    const id = r.conversation.id;
    this.store.upsertConversation(r.conversation);
    this.emit();
    void this.afterGroupChange(id);
    return id;
  }

  async addMembers(id: number, usernames: string[]): Promise<void> {
    const r = await http<{ conversation: Conversation }>('POST', `/conversations/${id}/members`, { user_usernames: usernames }, this.session.token);
    await this.afterGroupChange(id, r.conversation);
  }

  async removeMember(id: number, userId: number): Promise<void> {
    await http('DELETE', `/conversations/${id}/members/${userId}`, undefined, this.session.token);
    await this.afterGroupChange(id);
  }

  async setRole(id: number, userId: number, role: Role): Promise<void> {
    await http('PATCH', `/conversations/${id}/members/${userId}`, { role }, this.session.token);
    await this.afterGroupChange(id);
  }

  async updateGroup(id: number, fields: { name?: string; description?: string }): Promise<void> {
    const r = await http<{ conversation: Conversation }>('PATCH', `/conversations/${id}`, fields, this.session.token);
    await this.afterGroupChange(id, r.conversation);
  }

  async leaveGroup(id: number): Promise<void> {
    await http('POST', `/conversations/${id}/leave`, {}, this.session.token);
    await this.refreshConversation(id).catch(() => undefined);
  }

  /** Message info: when each other member got and read one message. */
  async messageReceipts(id: number, seq: number): Promise<MessageReceipt[]> {
    const r = await http<{ receipts: MessageReceipt[] }>('GET', `/conversations/${id}/messages/${seq}/receipts`, undefined, this.session.token);
    return r.receipts;
  }

  // ---------- presence ----------

  /**
   * The conversations whose rows are visible in the chat list. Scrolling changes them many
   * times a second: the subscription follows once the rows stay put for a moment.
   */
  setVisibleConversations(ids: number[]): void {
    this.visibleConvs = ids;
    clearTimeout(this.visibleTimer);
    this.visibleTimer = setTimeout(() => this.updatePresence(), ParleyClient.VISIBLE_SETTLE_MS);
  }

  /** The other user of a direct conversation (undefined for groups). */
  directPeer(id: number): User | undefined {
    const c = this.store.conversation(id);
    if (!c || isGroup(c) || c.members.length > 2) return undefined;
    return this.store.peer(id);
  }

  /** Subscribes to the open chat's peer and the visible direct chats' peers when that set changed. */
  private updatePresence(): void {
    if (!this.conn.isReady || this.subBusy) return;
    const open = this.openId !== null ? this.directPeer(this.openId)?.id : undefined;
    const want = presenceSubscription(
      open,
      this.visibleConvs.map((id) => this.directPeer(id)?.id).filter((x): x is number => x !== undefined),
      this.session.user.id,
    );
    if (sameIds(this.subSent, want)) return;
    this.subBusy = true;
    this.subSent = want;
    this.conn
      .request<{ users: { user_id: number; online: boolean; last_seen: number | null }[] }>({ type: 'presence_subscribe', user_ids: want })
      .then(
        (r) => {
          if (!sameIds(this.subSent, want)) return;
          this.presence.clear();
          for (const u of r.users ?? []) {
            if (typeof u.user_id === 'number') this.presence.set(u.user_id, { online: !!u.online, last_seen: typeof u.last_seen === 'number' ? u.last_seen : null });
          }
        },
        () => {
          this.subSent = null; // try again on the next change or connection
        },
      )
      .finally(() => {
        this.subBusy = false;
        this.emit();
        if (this.subSent !== null) this.updatePresence();
      });
  }

  /** Subscribes again (permissions changed: block, unblock, contacts, privacy). */
  private resubscribe(): void {
    this.subSent = null;
    this.updatePresence();
  }

  // ---------- typing ----------

  private scheduleTypingExpiry(): void {
    clearTimeout(this.typingExpiryTimer);
    const next = this.typing.nextExpiry();
    if (next === undefined) return;
    this.typingExpiryTimer = setTimeout(() => {
      if (this.typing.expire(Date.now())) this.emit();
      this.scheduleTypingExpiry();
    }, Math.max(0, next - Date.now()) + 20);
  }

  /** Names of the others typing in a conversation now. */
  typers(conversationId: number): User[] {
    const c = this.store.conversation(conversationId);
    return this.typing
      .typers(conversationId, Date.now())
      .map((id) => c?.people?.[String(id)] ?? c?.roster?.find((m) => m.user.id === id)?.user ?? c?.members.find((m) => m.user.id === id)?.user ?? (c?.peer?.id === id ? c.peer : undefined))
      .filter((u): u is User => !!u);
  }

  /** The composer changed: `hasText` says whether anything is left in it. */
  typingInput(conversationId: number, hasText: boolean): void {
    if (!hasText) {
      this.typingStop(conversationId);
      return;
    }
    let s = this.typingSenders.get(conversationId);
    if (!s) this.typingSenders.set(conversationId, (s = new TypingSender()));
    if (s.input(Date.now()) === 'start') this.sendTyping(conversationId, 'start');
    clearTimeout(this.typingIdleTimers.get(conversationId));
    const at = s.idleAt();
    if (at !== undefined) {
      this.typingIdleTimers.set(
        conversationId,
        setTimeout(() => {
          if (s!.idle(Date.now()) === 'stop') this.sendTyping(conversationId, 'stop');
        }, Math.max(0, at - Date.now()) + 10),
      );
    }
  }

  /** Send, blur or leaving the chat: tell the others the user stopped typing. */
  typingStop(conversationId: number): void {
    clearTimeout(this.typingIdleTimers.get(conversationId));
    this.typingIdleTimers.delete(conversationId);
    if (this.typingSenders.get(conversationId)?.stop() === 'stop') this.sendTyping(conversationId, 'stop');
  }

  private sendTyping(conversationId: number, state: 'start' | 'stop'): void {
    if (!this.conn.isReady) return;
    this.conn.request({ type: 'typing', conversation_id: conversationId, state }).catch(() => undefined);
  }

  // ---------- contacts, blocks, privacy ----------

  /** The name to show for a user: the contact nickname, else the display name. */
  nameOf(user: { id: number; display_name: string }): string {
    return shownName(user, this.contacts);
  }

  /** Users whose username starts with `prefix` (without oneself). */
  async searchUsers(prefix: string, limit = 8): Promise<User[]> {
    const r = await http<{ users: User[] }>('GET', `/users?prefix=${encodeURIComponent(prefix)}&limit=${limit + 1}`, undefined, this.session.token);
    return (r.users ?? []).filter((u) => u.id !== this.session.user.id).slice(0, limit);
  }

  async loadContacts(): Promise<void> {
    const r = await http<{ contacts: Contact[] }>('GET', '/contacts', undefined, this.session.token);
    this.setContacts(r.contacts ?? []);
  }

  private setContacts(list: Contact[]): void {
    this.contacts = new Map(sortContacts(list).map((c) => [c.user.id, c]));
    void this.db.setMeta('contacts', [...this.contacts.values()]);
    this.emit();
  }

  contactList(): Contact[] {
    return sortContacts([...this.contacts.values()]);
  }

  /** Adds a contact, or changes its nickname ('' removes the nickname). */
  async saveContact(user: User, nickname: string): Promise<void> {
    const r = await http<{ contact: Contact }>('PUT', `/contacts/${user.id}`, { nickname: nickname.trim() }, this.session.token);
    const list = [...this.contacts.values()].filter((c) => c.user.id !== user.id);
    list.push(r.contact ?? { user, nickname: nickname.trim() });
    this.setContacts(list);
    this.resubscribe();
  }

  async removeContact(userId: number): Promise<void> {
    try {
      await http('DELETE', `/contacts/${userId}`, undefined, this.session.token);
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 'not_found')) throw e;
    }
    this.setContacts([...this.contacts.values()].filter((c) => c.user.id !== userId));
    this.resubscribe();
  }

  async loadBlocks(): Promise<void> {
    const r = await http<{ users: User[] }>('GET', '/blocks', undefined, this.session.token);
    this.blocked = r.users ?? [];
    void this.db.setMeta('blocked', this.blocked);
    this.emit();
  }

  isBlocked(userId: number): boolean {
    return this.blocked.some((u) => u.id === userId);
  }

  async block(user: User): Promise<void> {
    await http('PUT', `/blocks/${user.id}`, undefined, this.session.token);
    this.blocked = [user, ...this.blocked.filter((u) => u.id !== user.id)];
    void this.db.setMeta('blocked', this.blocked);
    this.presence.delete(user.id);
    for (const c of this.store.conversations()) if (this.typing.clear(c.id, user.id)) this.scheduleTypingExpiry();
    this.emit();
    this.resubscribe();
  }

  async unblock(userId: number): Promise<void> {
    await http('DELETE', `/blocks/${userId}`, undefined, this.session.token);
    this.blocked = this.blocked.filter((u) => u.id !== userId);
    void this.db.setMeta('blocked', this.blocked);
    this.emit();
    this.resubscribe();
  }

  async loadPrivacy(): Promise<void> {
    const r = await http<{ hide_last_seen: boolean; groups_add?: GroupsAdd }>('GET', '/me/privacy', undefined, this.session.token);
    this.hideLastSeen = !!r.hide_last_seen;
    this.groupsAdd = r.groups_add ?? 'everyone';
    this.emit();
  }

  /** Mutes a conversation's push notifications on every device: "8h", "1w", "always" or "off". */
  async mute(conversationId: number, duration: '8h' | '1w' | 'always' | 'off'): Promise<void> {
    const r = await http<{ muted_until: number }>('PUT', `/conversations/${conversationId}/mute`, { duration }, this.session.token);
    if (this.store.setMuted(conversationId, r.muted_until)) this.emit();
  }

  async setGroupsAdd(value: GroupsAdd): Promise<void> {
    const r = await http<{ groups_add?: GroupsAdd }>('PATCH', '/me/privacy', { groups_add: value }, this.session.token);
    this.groupsAdd = r?.groups_add ?? value;
    this.emit();
  }

  async setHideLastSeen(hide: boolean): Promise<void> {
    const r = await http<{ hide_last_seen: boolean }>('PATCH', '/me/privacy', { hide_last_seen: hide }, this.session.token);
    this.hideLastSeen = typeof r?.hide_last_seen === 'boolean' ? r.hide_last_seen : hide;
    this.emit();
    this.resubscribe(); // hiding one's own last seen hides everyone else's too
  }

  // ---------- calls ----------

  /** Connects the calls module; the events that came before it are handed over first. */
  attachCalls(sink: CallSink): void {
    this.callSink = sink;
    for (const f of this.callEvents.splice(0)) sink.event(f);
  }

  /** Sends a call frame over the WebSocket (rejects with ApiError, "disconnected" when offline). */
  callRequest<T = any>(frame: Record<string, unknown>): Promise<T> {
    return this.conn.request<T>(frame);
  }

  // ---------- sign out ----------

  /** The server revoked or no longer knows this session: forget the local data too. */
  private signedOut(): void {
    if (this.closed) return;
    this.close();
    this.drafts.clear();
    void LocalDb.remove(this.session.user.id).finally(() => this.onSignedOut?.());
  }

  /**
   * Deletes the account for good (protocol.md, "Deleting an account"): the server checks the
   * password again. On success the local data is forgotten as after a logout; a wrong
   * password rejects with ApiError `invalid_credentials` and changes nothing.
   */
  async deleteAccount(password: string): Promise<void> {
    await http('POST', '/me/delete', { password }, this.session.token);
    this.close();
    this.drafts.clear();
    await LocalDb.remove(this.session.user.id);
  }

  /** The user's data as a ZIP (protocol.md, "Exporting your data"); ApiError on refusal. */
  async exportData(): Promise<Blob> {
    let res: Response;
    try {
      res = await fetch(`${API}/me/export`, { headers: { Authorization: `Bearer ${this.session.token}` }, cache: 'no-store' });
    } catch {
      throw new ApiError('network', 'The server cannot be reached. Check your connection.');
    }
    if (!res.ok) {
      const data = await res.json().catch(() => null);
      throw new ApiError(data?.error?.code ?? 'unavailable', data?.error?.message ?? `HTTP ${res.status}`, res.status);
    }
    return res.blob();
  }

  async logout(): Promise<void> {
    try {
      await http('POST', '/logout', {}, this.session.token);
    } catch {
      /* offline or already revoked: forget the session locally anyway */
    }
    this.close();
    this.drafts.clear();
    await LocalDb.remove(this.session.user.id);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    window.removeEventListener('online', this.onOnline);
    window.removeEventListener('offline', this.onOffline);
    clearTimeout(this.wakeTimer);
    clearTimeout(this.typingExpiryTimer);
    clearTimeout(this.presenceRecheck);
    clearTimeout(this.visibleTimer);
    for (const t of this.typingIdleTimers.values()) clearTimeout(t);
    if (this.owedSaveTimer !== undefined) this.saveOwedNow();
    if (this.saveQueued) this.saveNow();
    this.conn.stop();
    this.db.close();
  }
}
