import { callDuration } from './callhistory';

/**
 * The client side of a 1:1 call (docs/protocol.md, "Calls") as a pure state machine: what
 * the call screens show, driven by the user's actions, the server's answers and events, and
 * what the peer connection reports. No timers, no clock: every action that needs the time
 * carries `now`, so tests move time by hand. One call at a time per device; the server makes
 * a second call "busy" before it reaches a device that is in one.
 *
 *   idle ──dial──▶ outgoing ──call_accepted──▶ connecting ──media──▶ active
 *   idle ──call_incoming──▶ incoming ──answer──▶ connecting
 *   any but idle ──call_ended / hang up / failure──▶ ended ──dismiss──▶ idle
 */

export type CallMedia = 'audio' | 'video';

export type EndReason =
  | 'completed'
  | 'declined'
  | 'no_answer'
  | 'cancelled'
  | 'busy'
  | 'answered_elsewhere'
  | 'declined_elsewhere'
  | 'disconnected';

/** The call object of the server (docs/protocol.md, "Calls"). */
export interface Call {
  call_id: string;
  conversation_id: number;
  caller_id: number;
  callee_id: number;
  media: CallMedia;
  state: 'ringing' | 'active' | 'ended';
  started_at: number;
  answered_at: number | null;
  ended_at: number | null;
  end_reason: EndReason | null;
}

export type CallPhase = 'idle' | 'outgoing' | 'incoming' | 'connecting' | 'active' | 'ended';

/**
 * Why the call ended. `reason` is the server's end_reason, or "failed" for a failure on this
 * device (no microphone, no connection, media that never flowed); `detail` says which.
 */
export interface CallEnd {
  reason: EndReason | 'failed';
  /** This device's user ended it (hung up, declined, cancelled). */
  byMe: boolean;
  detail?: string;
}

export interface CallState {
  phase: CallPhase;
  direction: 'outgoing' | 'incoming';
  conversationId: number;
  peerId: number;
  /** The call's media; the callee may still answer a video call with voice only. */
  media: CallMedia;
  /** Known once the server answered call_start (outgoing) or from call_incoming. */
  call: Call | null;
  /** The caller's offer (incoming calls, until answered). */
  offer?: string;
  /** Local clock (ms) when media first flowed: the call timer counts from here. */
  activeSince: number | null;
  /** Local clock (ms) when the call ended. */
  endedAt: number | null;
  end: CallEnd | null;
  /** Media was flowing and stopped for now (the peer connection is trying to recover). */
  interrupted: boolean;
}

export const IDLE: CallState = {
  phase: 'idle',
  direction: 'outgoing',
  conversationId: 0,
  peerId: 0,
  media: 'audio',
  call: null,
  activeSince: null,
  endedAt: null,
  end: null,
  interrupted: false,
};

export type CallAction =
  /** The user calls someone (from a chat header or a call-back button). */
  | { type: 'dial'; conversationId: number; peerId: number; media: CallMedia }
  /** The answer to call_start: ringing, or already ended (busy). */
  | { type: 'started'; call: Call; now: number }
  /** call_incoming: another device calls this user. */
  | { type: 'incoming'; call: Call; sdp: string; me: number }
  /** The user answers the ringing call. */
  | { type: 'answer' }
  /** call_accepted (caller) or the answer to call_accept (callee). */
  | { type: 'accepted'; call: Call }
  /** The peer connection is connected: media flows. */
  | { type: 'media_up'; now: number }
  /** The peer connection lost its path for now (it may come back). */
  | { type: 'media_down' }
  /** call_ended, or the server's answer to decline/hangup. */
  | { type: 'ended'; call: Call; now: number }
  /** The user hangs up, cancels or declines. */
  | { type: 'hangup'; now: number }
  /** Something on this device failed: the call cannot go on. */
  | { type: 'failed'; detail: string; now: number }
  /** The ended screen goes away. */
  | { type: 'dismiss' };

const live = (p: CallPhase) => p === 'outgoing' || p === 'incoming' || p === 'connecting' || p === 'active';

/** True when `call` is the call `s` is about (or `s` waits for its id from call_start). */
export function sameCall(s: CallState, call: Pick<Call, 'call_id'>): boolean {
  return !!s.call && s.call.call_id === call.call_id;
}

/** Applies one action; returns `s` itself when the action does not apply. */
export function reduceCall(s: CallState, a: CallAction): CallState {
  switch (a.type) {
    case 'dial':
      if (live(s.phase)) return s;
      return { ...IDLE, phase: 'outgoing', direction: 'outgoing', conversationId: a.conversationId, peerId: a.peerId, media: a.media };
    case 'started':
      if (s.phase !== 'outgoing' || s.call) return s;
      if (a.call.state === 'ended') return endWith({ ...s, call: a.call }, { reason: a.call.end_reason ?? 'disconnected', byMe: false }, a.now);
      return { ...s, call: a.call };
    case 'incoming':
      if (live(s.phase) || a.call.callee_id !== a.me || a.call.state !== 'ringing') return s;
      return {
        ...IDLE,
        phase: 'incoming',
        direction: 'incoming',
        conversationId: a.call.conversation_id,
        peerId: a.call.caller_id,
        media: a.call.media,
        call: a.call,
        offer: a.sdp,
      };
    case 'answer':
      if (s.phase !== 'incoming') return s;
      return { ...s, phase: 'connecting', offer: undefined };
    case 'accepted':
      if (!sameCall(s, a.call) || (s.phase !== 'outgoing' && s.phase !== 'connecting')) return s;
      return { ...s, phase: 'connecting', call: a.call };
    case 'media_up':
      if (s.phase === 'connecting') return { ...s, phase: 'active', activeSince: a.now, interrupted: false };
      if (s.phase === 'active' && s.interrupted) return { ...s, interrupted: false };
      return s;
    case 'media_down':
      return s.phase === 'active' && !s.interrupted ? { ...s, interrupted: true } : s;
    case 'ended': {
      if (!sameCall(s, a.call)) return s;
      if (s.phase === 'ended') return { ...s, call: a.call };
      const reason = a.call.end_reason ?? 'disconnected';
      return endWith({ ...s, call: a.call }, { reason, byMe: false }, a.now);
    }
    case 'hangup': {
      if (!live(s.phase)) return s;
      const reason: EndReason = s.phase === 'incoming' ? 'declined' : s.phase === 'outgoing' ? 'cancelled' : 'completed';
      return endWith(s, { reason, byMe: true }, a.now);
    }
    case 'failed':
      if (!live(s.phase)) return s;
      return endWith(s, { reason: 'failed', byMe: false, detail: a.detail }, a.now);
    case 'dismiss':
      return s.phase === 'ended' ? IDLE : s;
  }
}

function endWith(s: CallState, end: CallEnd, now: number): CallState {
  // A call that ended while this device was still connecting was never active here.
  return { ...s, phase: 'ended', end, endedAt: now, interrupted: false, offer: undefined };
}

/** Talk time so far (or in all, once ended); 0 before media flowed. */
export function callElapsed(s: CallState, now: number): number {
  if (s.activeSince === null) return 0;
  return Math.max(0, (s.endedAt ?? now) - s.activeSince);
}

/** The line under the peer's name on the call screen. */
export function callStatus(s: CallState, now: number): string {
  const kind = s.media === 'video' ? 'video call' : 'voice call';
  switch (s.phase) {
    case 'idle':
      return '';
    case 'outgoing':
      return s.call ? 'Ringing…' : 'Calling…';
    case 'incoming':
      return `Incoming ${kind}`;
    case 'connecting':
      return 'Connecting…';
    case 'active':
      return s.interrupted ? 'Reconnecting…' : callDuration(callElapsed(s, now));
    case 'ended':
      return endText(s);
  }
}

/**
 * What the ended screen says, from this device's side: "Declined", "No answer", "Busy",
 * "Missed call", "Call ended · 0:05", "Answered on another device"...
 */
export function endText(s: CallState): string {
  const e = s.end;
  if (!e) return 'Call ended';
  const out = s.direction === 'outgoing';
  const talk = s.activeSince !== null && s.endedAt !== null ? ` · ${callDuration(s.endedAt - s.activeSince)}` : '';
  switch (e.reason) {
    case 'completed':
      return `Call ended${talk}`;
    case 'declined':
      return out ? 'Declined' : e.byMe ? 'Call declined' : 'Missed call';
    case 'no_answer':
      return out ? 'No answer' : 'Missed call';
    case 'cancelled':
      return out ? 'Call cancelled' : 'Missed call';
    case 'busy':
      return out ? 'Busy' : 'Missed call';
    case 'answered_elsewhere':
      return 'Answered on another device';
    case 'declined_elsewhere':
      return 'Declined on another device';
    case 'disconnected':
      // The caller went away while it rang: to the callee that is a missed call.
      return !out && !s.call?.answered_at ? 'Missed call' : `Call ended: connection lost${talk}`;
    case 'failed':
      return e.detail ?? 'Call failed';
  }
}

/**
 * How long the ended screen stays before it closes by itself (ms), or null to stay until the
 * user closes it: an unsuccessful outgoing call offers "Call again", a missed call "Call back".
 * What this user did themselves, or did on another device, goes away at once.
 */
export function lingerMs(s: CallState): number | null {
  const e = s.end;
  if (s.phase !== 'ended' || !e) return 0;
  if (e.reason === 'answered_elsewhere' || e.reason === 'declined_elsewhere') return 0;
  if (e.byMe) return e.reason === 'completed' ? 1500 : 0;
  if (e.reason === 'completed') return 2500;
  return null;
}

/** The ended screen offers to call again (same person, same media). */
export function offersRedial(s: CallState): boolean {
  return s.phase === 'ended' && !!s.end && !s.end.byMe && s.end.reason !== 'answered_elsewhere' && s.end.reason !== 'declined_elsewhere';
}

/**
 * A first-in-first-out gate: items wait while it is shut and go out in order once it opens;
 * afterwards they go straight through. Holds ICE candidates that arrive before the remote
 * description is set (remote ones) or before the call has an id to send them with (local
 * ones). Bounded: beyond `cap` waiting items the newest are dropped (the server takes at most
 * 100 call_ice per device and call).
 */
export class Gate<T> {
  private queue: T[] = [];
  private isOpen = false;

  constructor(
    private readonly deliver: (item: T) => void,
    private readonly cap = 100,
  ) {}

  put(item: T): void {
    if (this.isOpen) this.deliver(item);
    else if (this.queue.length < this.cap) this.queue.push(item);
  }

  open(): void {
    if (this.isOpen) return;
    this.isOpen = true;
    for (const item of this.queue.splice(0)) this.deliver(item);
  }

  get opened(): boolean {
    return this.isOpen;
  }

  get waiting(): number {
    return this.queue.length;
  }
}

/** Checks an event's call object enough to trust its fields. */
export function isCall(v: unknown): v is Call {
  const c = v as Call;
  return (
    !!c &&
    typeof c === 'object' &&
    typeof c.call_id === 'string' &&
    typeof c.conversation_id === 'number' &&
    typeof c.caller_id === 'number' &&
    typeof c.callee_id === 'number' &&
    (c.media === 'audio' || c.media === 'video') &&
    (c.state === 'ringing' || c.state === 'active' || c.state === 'ended')
  );
}
