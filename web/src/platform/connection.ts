import { backoffDelay } from '../core/backoff';
import { ApiError, type User } from '../core/types';

export type ConnState = 'offline' | 'connecting' | 'online';

export interface ReadyFrame {
  type: 'ready';
  user: User;
  session_id: number;
  heartbeat_ms: number;
  version: number;
}

export interface ConnectionHandlers {
  onReady(ready: ReadyFrame): void;
  onEvent(frame: any): void;
  onState(state: ConnState): void;
  /** The token is no longer valid (close 4001 / unauthenticated): log in again. */
  onAuthFailed(): void;
  /** The socket closed; requests in flight were rejected with code "disconnected". */
  onDisconnect(): void;
}

interface Pending {
  resolve(v: any): void;
  reject(e: unknown): void;
  timer: ReturnType<typeof setTimeout>;
}

const REQUEST_TIMEOUT_MS = 15_000;
const READY_TIMEOUT_MS = 10_000;
const PING_EVERY_MS = 25_000;

/**
 * The real-time connection: authenticates with the first-frame `auth`, matches answers to
 * requests by id, keeps itself alive with application pings, and reconnects with exponential
 * backoff and jitter (0.5 s doubling to 30 s, +-50%) until stopped.
 */
export class Connection {
  state: ConnState = 'offline';
  private ws: WebSocket | null = null;
  private ready = false;
  private stopped = true;
  private attempt = 0;
  private nextId = 1;
  private pending = new Map<string, Pending>();
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private readyTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly h: ConnectionHandlers,
  ) {}

  start(): void {
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.drop(1000);
    this.setState('offline');
  }

  /** Reconnect now (the browser says the network is back, or the user asked). */
  kick(): void {
    if (this.stopped) return;
    if (this.ws) return;
    clearTimeout(this.reconnectTimer);
    this.attempt = 0;
    this.open();
  }

  /** The browser says the network is gone: stop pretending the socket is alive. */
  goOffline(): void {
    if (this.stopped) return;
    this.drop(4000);
    this.scheduleReconnect();
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** Sends a request frame; resolves with its answer, rejects with ApiError. */
  request<T = any>(frame: Record<string, unknown>): Promise<T> {
    if (!this.ws || !this.ready) return Promise.reject(new ApiError('disconnected', 'not connected'));
    const id = `r${this.nextId++}`;
    const ws = this.ws;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ApiError('timeout', `no answer to ${String(frame.type)}`));
        // A connection that does not answer is as good as dead.
        if (this.ws === ws) {
          this.drop(4000);
          this.scheduleReconnect();
        }
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      try {
        ws.send(JSON.stringify({ ...frame, id }));
      } catch {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new ApiError('disconnected', 'send failed'));
      }
    });
  }

  private setState(s: ConnState): void {
    if (this.state === s) return;
    this.state = s;
    this.h.onState(s);
  }

  private open(): void {
    if (this.stopped || this.ws) return;
    if (typeof navigator !== 'undefined' && navigator.onLine === false) {
      // The browser knows there is no network: wait for its `online` event (kick()).
      this.setState('offline');
      return;
    }
    this.setState('connecting');
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    this.ready = false;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      ws.send(JSON.stringify({ type: 'auth', token: this.token }));
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      this.onFrame(ev.data);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.drop(ev.code);
      if (ev.code === 4001) {
        this.stopped = true;
        this.setState('offline');
        this.h.onAuthFailed();
        return;
      }
      if (ev.code === 4009) {
        // Too many connections for this account: a newer tab or device took this one's place.
        // Reconnecting would only close that one in turn; start() (a reload) takes it back.
        this.stopped = true;
        this.setState('offline');
        return;
      }
      this.scheduleReconnect();
    };
    ws.onerror = () => {
      /* onclose follows */
    };
    this.readyTimer = setTimeout(() => {
      if (this.ws === ws && !this.ready) {
        this.drop(4000);
        this.scheduleReconnect();
      }
    }, READY_TIMEOUT_MS);
  }

  private onFrame(data: unknown): void {
    if (typeof data !== 'string') return;
    let f: any;
    try {
      f = JSON.parse(data);
    } catch {
      return;
    }
    if (!f || typeof f !== 'object') return;
    if (f.type === 'ready' && !this.ready) {
      this.ready = true;
      this.attempt = 0;
      clearTimeout(this.readyTimer);
      this.startPings();
      this.setState('online');
      this.h.onReady(f as ReadyFrame);
      return;
    }
    if (!this.ready && f.type === 'error') {
      if (f.code === 'unauthenticated') {
        this.stopped = true;
        this.drop(1000);
        this.setState('offline');
        this.h.onAuthFailed();
      }
      return;
    }
    const id = f.id !== undefined && f.id !== null ? String(f.id) : undefined;
    if (id !== undefined && this.pending.has(id)) {
      const p = this.pending.get(id)!;
      this.pending.delete(id);
      clearTimeout(p.timer);
      if (f.type === 'error') p.reject(new ApiError(f.code ?? 'internal', f.message ?? 'error', 0, f.retry_after_ms));
      else p.resolve(f);
      return;
    }
    if (f.type === 'session_revoked') {
      this.stopped = true;
      this.drop(1000);
      this.setState('offline');
      this.h.onAuthFailed();
      return;
    }
    if (id === undefined) this.h.onEvent(f);
  }

  private startPings(): void {
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      this.request({ type: 'ping' }).catch(() => undefined);
    }, PING_EVERY_MS);
  }

  /** Forgets the current socket: closes it, rejects what was in flight. */
  private drop(code: number): void {
    const ws = this.ws;
    const hadSocket = !!ws;
    this.ws = null;
    this.ready = false;
    clearTimeout(this.readyTimer);
    clearInterval(this.pingTimer);
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try {
        ws.close(code === 1000 || (code >= 3000 && code < 5000) ? code : 1000);
      } catch {
        /* already closed */
      }
    }
    const pend = [...this.pending.values()];
    this.pending.clear();
    for (const p of pend) {
      clearTimeout(p.timer);
      p.reject(new ApiError('disconnected', 'connection lost'));
    }
    if (hadSocket) this.h.onDisconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.setState('offline');
    clearTimeout(this.reconnectTimer);
    const delay = backoffDelay(this.attempt++);
    this.reconnectTimer = setTimeout(() => this.open(), delay);
  }
}

/**
 * Connection handlers for a connection opened before its owner exists (the client opens the
 * socket while the local database opens and loads). Until `attach`, it holds what happened:
 * the `ready` frame, the events after it (at most MAX_HELD_EVENTS; beyond that they are
 * dropped, which the sync that follows `ready` makes good for stored state) and a failed
 * authentication; a disconnect forgets the held `ready` and events. `attach` hands them to
 * the owner in the order they came, and passes everything on from then on.
 */
export class HeldHandlers implements ConnectionHandlers {
  static readonly MAX_HELD_EVENTS = 500;
  private target: ConnectionHandlers | null = null;
  private ready: ReadyFrame | null = null;
  private events: unknown[] = [];
  private authFailed = false;

  onReady(ready: ReadyFrame): void {
    if (this.target) this.target.onReady(ready);
    else this.ready = ready;
  }

  onEvent(frame: unknown): void {
    if (this.target) this.target.onEvent(frame);
    else if (this.ready && this.events.length < HeldHandlers.MAX_HELD_EVENTS) this.events.push(frame);
  }

  onState(state: ConnState): void {
    this.target?.onState(state);
  }

  onAuthFailed(): void {
    if (this.target) this.target.onAuthFailed();
    else this.authFailed = true;
  }

  onDisconnect(): void {
    if (this.target) return this.target.onDisconnect();
    this.ready = null;
    this.events = [];
  }

  /** Passes on what was held (the connection is now in `state`), then everything that follows. */
  attach(target: ConnectionHandlers, state: ConnState): void {
    this.target = target;
    target.onState(state);
    const { ready, events, authFailed } = this;
    this.ready = null;
    this.events = [];
    if (authFailed) return target.onAuthFailed();
    if (!ready) return;
    target.onReady(ready);
    for (const f of events) target.onEvent(f);
  }
}
