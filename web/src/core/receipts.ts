/**
 * Receipts this device owes the server (docs/protocol.md, "Receipts"), sent at a bounded pace.
 *
 * Receipts are watermarks: one `delivered` and one `read` per conversation is all that is ever
 * owed, and a newer watermark for a conversation replaces the queued one. At most
 * `maxInFlight` are unanswered at a time (a connection may have only 256 requests of any kind
 * in flight, and the first sync after a long absence owes one per chat: a thousand or more);
 * the rest wait and go out as answers come back. A server that refuses with `rate_limited`
 * (its in-flight limit may be lower, or its rate limit reached) halves that window; each `ok`
 * widens it again by about one per round trip, up to `maxInFlight`. Nothing is lost:
 * - `ok`: done (`acked`).
 * - `rate_limited`: put back, and the whole queue waits `retry_after_ms` (1 s when absent).
 * - `disconnected`/`timeout`: put back, sent again once `resume()` says the connection is ready.
 * - `invalid_argument`, `not_found`, `bad_request`, `forbidden`: the server will never take
 *   it (not a member any more, a seq it does not know): dropped and reported (`dropped`).
 * - any other error (`internal`, `unavailable`, ...): put back, the queue waits with backoff.
 * What is owed (queued and in flight) survives a reload: `changed` says when to store `pending()`.
 * Single-threaded (the page's event loop); no method throws.
 */
import { backoffDelay } from './backoff';
import { ApiError } from './types';

export type ReceiptKind = 'delivered' | 'read';

/** What is owed per conversation id (the persisted form, kept as it was). */
export type Owed = Record<string, { delivered?: number; read?: number }>;

export interface ReceiptQueueDeps {
  /** Sends one receipt; resolves on `ok`, rejects (ApiError) otherwise. */
  send(kind: ReceiptKind, conversationId: number, seq: number): Promise<unknown>;
  /** Whether requests can be sent now (the connection is ready). */
  ready(): boolean;
  /** The server took the receipt. */
  acked?(kind: ReceiptKind, conversationId: number, seq: number): void;
  /** The server refused it for good (code as above); it will not be sent again. */
  dropped?(kind: ReceiptKind, conversationId: number, seq: number, code: string): void;
  /** What is owed changed (persist `pending()`; may be called often: debounce). */
  changed?(): void;
  maxInFlight?: number;
  setTimer?(fn: () => void, ms: number): unknown;
  clearTimer?(handle: unknown): void;
  random?: () => number;
}

/** Receipts unanswered at a time: far under the server's 256, leaving room for everything else. */
export const RECEIPTS_IN_FLIGHT = 32;
/** The wait after `rate_limited` when the server did not say how long. */
const DEFAULT_RETRY_MS = 1000;
const PERMANENT = new Set(['invalid_argument', 'not_found', 'bad_request', 'forbidden']);

type Marks = { delivered?: number; read?: number };

export class ReceiptQueue {
  /** Watermarks not sent yet (or sent and put back), per kind and conversation, oldest first. */
  private readonly queued = { read: new Map<number, number>(), delivered: new Map<number, number>() };
  /** Watermarks sent and not answered yet. */
  private readonly inFlight = { read: new Map<number, number>(), delivered: new Map<number, number>() };
  private readonly max: number;
  /** Receipts allowed in flight now: `max`, halved by each wait for `rate_limited`. */
  private window: number;
  private pauseTimer: unknown = undefined;
  private paused = false;
  private failures = 0;

  constructor(
    initial: Owed,
    private readonly deps: ReceiptQueueDeps,
  ) {
    this.max = Math.max(1, deps.maxInFlight ?? RECEIPTS_IN_FLIGHT);
    this.window = this.max;
    for (const [key, o] of Object.entries(initial ?? {})) {
      const id = Number(key);
      if (!Number.isSafeInteger(id) || !o || typeof o !== 'object') continue;
      if (typeof o.read === 'number' && o.read > 0) this.owe(id, 'read', o.read, false);
      if (typeof o.delivered === 'number' && o.delivered > 0) this.owe(id, 'delivered', o.delivered, false);
    }
  }

  /**
   * Owes `kind` up to `seq` in a conversation. Does nothing when that watermark (or a higher
   * one, or a `read` at least as high for `delivered`) is already queued or in flight. Does not
   * send: call pump().
   */
  owe(conversationId: number, kind: ReceiptKind, seq: number, notify = true): void {
    if (!(seq > 0)) return;
    if (this.covered(conversationId, kind) >= seq) return;
    if (kind === 'delivered' && this.covered(conversationId, 'read') >= seq) return; // read counts as delivered
    this.queued[kind].set(conversationId, seq);
    if (kind === 'read' && (this.queued.delivered.get(conversationId) ?? Infinity) <= seq) this.queued.delivered.delete(conversationId);
    if (notify) this.deps.changed?.();
  }

  private covered(id: number, kind: ReceiptKind): number {
    return Math.max(this.queued[kind].get(id) ?? 0, this.inFlight[kind].get(id) ?? 0);
  }

  /** Receipts owed: queued or unanswered. */
  get size(): number {
    return this.queued.read.size + this.queued.delivered.size + this.inFlightNow;
  }

  /** How many may be in flight now (the limit, lowered after `rate_limited`). */
  get windowNow(): number {
    return Math.floor(this.window);
  }

  /** Receipts sent and not answered yet. */
  get inFlightNow(): number {
    return this.inFlight.read.size + this.inFlight.delivered.size;
  }

  /** Everything owed (queued and in flight, the higher of the two): the form to persist. */
  pending(): Owed {
    const out: Owed = {};
    for (const kind of ['read', 'delivered'] as const) {
      for (const m of [this.inFlight[kind], this.queued[kind]]) {
        for (const [id, seq] of m) {
          const o: Marks = (out[id] ??= {});
          if ((o[kind] ?? 0) < seq) o[kind] = seq;
        }
      }
    }
    return out;
  }

  /** The connection is (again) ready: forget any wait and send what is owed. */
  resume(): void {
    this.clearPause();
    this.failures = 0;
    this.pump();
  }

  /** Sends queued receipts while fewer than the limit are in flight (unless waiting or offline). */
  pump(): void {
    if (this.paused) return;
    while (this.inFlightNow < Math.floor(this.window) && this.deps.ready()) {
      const next = this.take();
      if (!next) return;
      this.sendOne(next.id, next.kind, next.seq);
    }
  }

  /** The next receipt to send, moved from queued to in flight; reads first (the sender sees blue ticks). */
  private take(): { id: number; kind: ReceiptKind; seq: number } | null {
    for (const kind of ['read', 'delivered'] as const) {
      for (const [id, seq] of this.queued[kind]) {
        if (this.inFlight[kind].has(id)) continue; // one per conversation and kind at a time
        this.queued[kind].delete(id);
        this.inFlight[kind].set(id, seq);
        return { id, kind, seq };
      }
    }
    return null;
  }

  private sendOne(id: number, kind: ReceiptKind, seq: number): void {
    let p: Promise<unknown>;
    try {
      p = this.deps.send(kind, id, seq);
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then(
      () => {
        this.inFlight[kind].delete(id);
        this.failures = 0;
        this.window = Math.min(this.max, this.window + 1 / this.window);
        this.deps.acked?.(kind, id, seq);
        this.deps.changed?.();
      },
      (e: unknown) => {
        this.inFlight[kind].delete(id);
        const code = e instanceof ApiError ? e.code : 'internal';
        if (PERMANENT.has(code)) {
          this.deps.dropped?.(kind, id, seq, code);
          this.deps.changed?.();
          return;
        }
        this.owe(id, kind, seq, false);
        if (code === 'rate_limited') {
          const ms = e instanceof ApiError && typeof e.retryAfterMs === 'number' && e.retryAfterMs >= 0 ? e.retryAfterMs : DEFAULT_RETRY_MS;
          // Refusals of one burst arrive together: they halve the window once, not each.
          if (!this.paused) this.window = Math.max(1, this.window / 2);
          this.pauseFor(ms);
        } else if (code !== 'disconnected' && code !== 'timeout') {
          this.pauseFor(backoffDelay(this.failures++, { base: 500, max: 30_000, random: this.deps.random }));
        }
        // disconnected/timeout: resume() sends it once the connection is back.
      },
    ).finally(() => this.pump());
  }

  private pauseFor(ms: number): void {
    // A later wait never shortens an earlier one: receipts answered meanwhile may each say so.
    if (this.paused) return;
    this.paused = true;
    const set = this.deps.setTimer ?? ((fn: () => void, t: number) => setTimeout(fn, t));
    this.pauseTimer = set(() => {
      this.paused = false;
      this.pauseTimer = undefined;
      this.pump();
    }, Math.max(0, ms));
  }

  private clearPause(): void {
    if (this.pauseTimer !== undefined) (this.deps.clearTimer ?? ((h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>)))(this.pauseTimer);
    this.pauseTimer = undefined;
    this.paused = false;
  }
}
