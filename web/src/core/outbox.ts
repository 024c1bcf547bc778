import { backoffDelay } from './backoff';
import { TRANSIENT_CODES, type FileInfo, type ImageInfo, type OutboxEntry, type VideoInfo, type VoiceInfo } from './types';

/** Where outbox changes are written (IndexedDB in the app, a recorder in tests). */
export interface OutboxPersistence {
  put(entry: OutboxEntry): void;
  delete(clientId: string): void;
}

export interface OutboxOptions {
  newId?: () => string;
  now?: () => number;
  random?: () => number;
  persist?: OutboxPersistence;
}

/**
 * Messages written by the user and not yet acknowledged by the server.
 *
 * - Every entry gets its client_id once, when it is written; every retry reuses it, so the
 *   server's idempotency turns repeated sends into one stored message.
 * - Per conversation, entries are sent one at a time in the order they were written: the next
 *   one goes only after the previous one was acknowledged (or failed for good).
 * - Transient errors (rate_limited, internal, unavailable) and lost connections put the entry
 *   back to pending; any other error marks it failed until the user retries it.
 */
export class Outbox {
  private entries = new Map<string, OutboxEntry>();
  private inFlight = new Set<string>();
  private notBefore = new Map<string, number>();
  private nextOrder = 1;
  private readonly newId: () => string;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly persist?: OutboxPersistence;

  constructor(initial: OutboxEntry[] = [], opts: OutboxOptions = {}) {
    this.newId = opts.newId ?? (() => crypto.randomUUID());
    this.now = opts.now ?? (() => Date.now());
    this.random = opts.random ?? Math.random;
    this.persist = opts.persist;
    for (const e of initial) {
      this.entries.set(e.client_id, { ...e });
      this.nextOrder = Math.max(this.nextOrder, e.order + 1);
    }
  }

  /** Writes a new message (a reply when `replyTo` is given) into the outbox and returns its entry. */
  add(conversationId: number, text: string, image?: ImageInfo, replyTo?: number, attachment?: { file?: FileInfo; voice?: VoiceInfo; video?: VideoInfo }): OutboxEntry {
    const entry: OutboxEntry = {
      client_id: this.newId(),
      conversation_id: conversationId,
      text,
      created_at: this.now(),
      order: this.nextOrder++,
      state: 'pending',
      attempts: 0,
    };
    if (image) entry.image = image;
    if (attachment?.file) entry.file = attachment.file;
    if (attachment?.voice) entry.voice = attachment.voice;
    if (attachment?.video) entry.video = attachment.video;
    if (replyTo) entry.reply_to = replyTo;
    this.entries.set(entry.client_id, entry);
    this.persist?.put(entry);
    return { ...entry };
  }

  get(clientId: string): OutboxEntry | undefined {
    const e = this.entries.get(clientId);
    return e ? { ...e } : undefined;
  }

  get size(): number {
    return this.entries.size;
  }

  /** All entries, oldest first. */
  all(): OutboxEntry[] {
    return [...this.entries.values()].sort((a, b) => a.order - b.order).map((e) => ({ ...e }));
  }

  forConversation(conversationId: number): OutboxEntry[] {
    return this.all().filter((e) => e.conversation_id === conversationId);
  }

  isInFlight(clientId: string): boolean {
    return this.inFlight.has(clientId);
  }

  /**
   * The entries that may be sent now: per conversation, the oldest pending entry, provided
   * nothing of that conversation is in flight and its retry time has come.
   */
  ready(): OutboxEntry[] {
    const now = this.now();
    const heads = new Map<number, OutboxEntry>();
    const busy = new Set<number>();
    for (const e of this.all()) {
      if (this.inFlight.has(e.client_id)) busy.add(e.conversation_id);
      if (e.state !== 'pending' || heads.has(e.conversation_id)) continue;
      heads.set(e.conversation_id, e);
    }
    const out: OutboxEntry[] = [];
    for (const [conv, e] of heads) {
      if (busy.has(conv)) continue;
      if ((this.notBefore.get(e.client_id) ?? 0) > now) continue;
      out.push(e);
    }
    return out.sort((a, b) => a.order - b.order);
  }

  /** The earliest time at which a waiting entry becomes sendable again (or undefined). */
  nextWakeUp(): number | undefined {
    let t: number | undefined;
    for (const [id, at] of this.notBefore) {
      const e = this.entries.get(id);
      if (!e || e.state !== 'pending') continue;
      if (t === undefined || at < t) t = at;
    }
    return t;
  }

  markInFlight(clientId: string): void {
    const e = this.entries.get(clientId);
    if (!e) return;
    e.attempts += 1;
    this.inFlight.add(clientId);
    this.persist?.put({ ...e });
  }

  /** The server stored the message: it leaves the outbox. Returns the removed entry. */
  ack(clientId: string): OutboxEntry | undefined {
    const e = this.entries.get(clientId);
    this.inFlight.delete(clientId);
    this.notBefore.delete(clientId);
    if (!e) return undefined;
    this.entries.delete(clientId);
    this.persist?.delete(clientId);
    return e;
  }

  /**
   * The send was answered with an error. Transient codes schedule a retry with the same
   * client_id; others mark the entry failed. Returns the entry's new state.
   */
  fail(clientId: string, code: string, retryAfterMs?: number): 'pending' | 'failed' | undefined {
    const e = this.entries.get(clientId);
    this.inFlight.delete(clientId);
    if (!e) return undefined;
    if (TRANSIENT_CODES.has(code)) {
      const delay = retryAfterMs ?? backoffDelay(e.attempts - 1, { random: this.random });
      this.notBefore.set(clientId, this.now() + delay);
      e.state = 'pending';
      e.error = code;
    } else {
      e.state = 'failed';
      e.error = code;
      this.notBefore.delete(clientId);
    }
    this.persist?.put({ ...e });
    return e.state;
  }

  /** The connection dropped: whatever was in flight will be sent again (same client_id). */
  connectionLost(): void {
    this.inFlight.clear();
  }

  /** The user taps a failed message: it goes back to pending, keeping its client_id and place. */
  retry(clientId: string): boolean {
    const e = this.entries.get(clientId);
    if (!e || e.state !== 'failed') return false;
    e.state = 'pending';
    e.attempts = 0;
    delete e.error;
    this.notBefore.delete(clientId);
    this.persist?.put({ ...e });
    return true;
  }

  /** The user gives up on a message. */
  discard(clientId: string): boolean {
    if (!this.entries.has(clientId)) return false;
    this.entries.delete(clientId);
    this.inFlight.delete(clientId);
    this.notBefore.delete(clientId);
    this.persist?.delete(clientId);
    return true;
  }
}
