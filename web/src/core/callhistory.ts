import type { CallRecord, SystemEvent } from './types';

/**
 * Call history lines (docs/protocol.md, "Calls": the `event: "call"` system message). The
 * message's sender is the caller, so whether the viewer called or was called comes from
 * `actor_id`. Kept apart from the call screens (core/calls.ts), which load lazily: the chat
 * list and the chat show these lines on the first screen.
 */

/** "0:05", "2:31", "1:02:03". */
export function callDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** The call record of a system event, if it is a well-formed call line. */
export function callRecord(ev: SystemEvent | null): CallRecord | null {
  const c = ev?.event === 'call' ? ev.call : undefined;
  if (!c || (c.media !== 'audio' && c.media !== 'video') || typeof c.outcome !== 'string') return null;
  return c;
}

/** True when the viewer placed the call. */
export function outgoingCall(ev: SystemEvent, me: number): boolean {
  return ev.actor_id === me;
}

/** A call the viewer should have answered and did not (shown in red, counted as missed). */
export function missedCall(ev: SystemEvent, me: number): boolean {
  const c = callRecord(ev);
  return !!c && !outgoingCall(ev, me) && (c.outcome === 'missed' || c.outcome === 'cancelled' || c.outcome === 'busy');
}

/**
 * The line a call history message shows to `me`:
 *   caller: "Outgoing video call · 2:31", "Outgoing voice call · No answer" / "· Declined" /
 *           "· Busy" / "· Cancelled";
 *   callee: "Incoming video call · 2:31", "Missed voice call" (unanswered or cancelled),
 *           "Declined voice call", "Missed voice call · Busy" (while on another call).
 */
export function callHistoryText(ev: SystemEvent, me: number): string {
  const c = callRecord(ev);
  if (!c) return 'Unsupported message';
  const kind = c.media === 'video' ? 'video call' : 'voice call';
  if (outgoingCall(ev, me)) {
    const tail: Record<string, string> = { completed: callDuration(c.duration_ms), missed: 'No answer', declined: 'Declined', busy: 'Busy', cancelled: 'Cancelled' };
    return `Outgoing ${kind} · ${tail[c.outcome] ?? 'Ended'}`;
  }
  switch (c.outcome) {
    case 'completed':
      return `Incoming ${kind} · ${callDuration(c.duration_ms)}`;
    case 'declined':
      return `Declined ${kind}`;
    case 'busy':
      return `Missed ${kind} · Busy`;
    default:
      return `Missed ${kind}`;
  }
}
