/** Who is typing where, from the server's typing frames (docs/protocol.md, "Presence and typing"). */

export const DEFAULT_TYPING_EXPIRY_MS = 6000;

export interface TypingFrame {
  conversation_id: number;
  user_id: number;
  state: string;
  expires_ms?: number;
}

/**
 * Typing indicators of other users: shown from a `start` until a `stop`, a message from
 * that user in that conversation, or `expires_ms` without a new `start`.
 */
export class TypingState {
  /** conversation -> user -> expiry time */
  private map = new Map<number, Map<number, number>>();

  constructor(private readonly me: number) {}

  /** Applies a typing frame; returns true if what is shown changed. */
  apply(f: TypingFrame, now: number): boolean {
    if (typeof f.conversation_id !== 'number' || typeof f.user_id !== 'number' || f.user_id === this.me) return false;
    if (f.state === 'start') {
      const ms = typeof f.expires_ms === 'number' && f.expires_ms > 0 ? f.expires_ms : DEFAULT_TYPING_EXPIRY_MS;
      let users = this.map.get(f.conversation_id);
      if (!users) this.map.set(f.conversation_id, (users = new Map()));
      const was = users.has(f.user_id) && users.get(f.user_id)! > now;
      users.set(f.user_id, now + ms);
      return !was;
    }
    if (f.state === 'stop') return this.clear(f.conversation_id, f.user_id);
    return false;
  }

  /** A message from `userId` arrived in the conversation: they stopped typing. */
  messageFrom(conversationId: number, userId: number): boolean {
    return this.clear(conversationId, userId);
  }

  clear(conversationId: number, userId: number): boolean {
    const users = this.map.get(conversationId);
    if (!users || !users.delete(userId)) return false;
    if (users.size === 0) this.map.delete(conversationId);
    return true;
  }

  /** Forgets everything (the connection dropped: nobody's frames can reach us). */
  reset(): boolean {
    const had = this.map.size > 0;
    this.map.clear();
    return had;
  }

  /** Drops expired entries; returns true if anything was dropped. */
  expire(now: number): boolean {
    let changed = false;
    for (const [cid, users] of this.map) {
      for (const [uid, until] of users) {
        if (until <= now) {
          users.delete(uid);
          changed = true;
        }
      }
      if (users.size === 0) this.map.delete(cid);
    }
    return changed;
  }

  /** Users typing in a conversation, in the order they started. */
  typers(conversationId: number, now: number): number[] {
    const users = this.map.get(conversationId);
    if (!users) return [];
    return [...users].filter(([, until]) => until > now).map(([uid]) => uid);
  }

  /** The earliest expiry still pending, to schedule the next expire(). */
  nextExpiry(): number | undefined {
    let min: number | undefined;
    for (const users of this.map.values()) for (const until of users.values()) if (min === undefined || until < min) min = until;
    return min;
  }
}

/**
 * The indicator text: "typing..." in a direct chat; in a group "Bob is typing...",
 * "Bob and Carol are typing...", "Bob, Carol and Dave are typing...", "Bob, Carol and 2 others are typing...".
 */
export function typingText(names: readonly string[], group: boolean): string {
  if (names.length === 0) return '';
  if (!group) return 'typing...';
  if (names.length === 1) return `${names[0]} is typing...`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing...`;
  if (names.length === 3) return `${names[0]}, ${names[1]} and ${names[2]} are typing...`;
  return `${names[0]}, ${names[1]} and ${names.length - 2} others are typing...`;
}

export const TYPING_REPEAT_MS = 4000;
export const TYPING_IDLE_MS = 3000;

/**
 * The sender side for one conversation: `start` on the first keystroke and again at most
 * every 4 s while the user keeps typing; `stop` after 3 s without input, on send or on blur
 * (only if a start was sent). The caller sends what the methods return and calls `idle(now)`
 * when the timer from `idleAt()` fires.
 */
export class TypingSender {
  private typing = false;
  private lastStart = -Infinity;
  private lastInput = -Infinity;

  constructor(
    private readonly repeatMs = TYPING_REPEAT_MS,
    private readonly idleMs = TYPING_IDLE_MS,
  ) {}

  get isTyping(): boolean {
    return this.typing;
  }

  /** A keystroke that left text in the composer. */
  input(now: number): 'start' | null {
    this.lastInput = now;
    if (!this.typing || now - this.lastStart >= this.repeatMs) {
      this.typing = true;
      this.lastStart = now;
      return 'start';
    }
    return null;
  }

  /** When to check for idleness (undefined when not typing). */
  idleAt(): number | undefined {
    return this.typing ? this.lastInput + this.idleMs : undefined;
  }

  /** The idle timer fired. */
  idle(now: number): 'stop' | null {
    if (this.typing && now - this.lastInput >= this.idleMs) return this.stop();
    return null;
  }

  /** Send, blur, the composer emptied, the chat closed. */
  stop(): 'stop' | null {
    if (!this.typing) return null;
    this.typing = false;
    this.lastStart = -Infinity;
    return 'stop';
  }
}
