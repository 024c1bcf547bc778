import { describe, expect, it } from 'vitest';
import { type Call, type CallState, Gate, IDLE, callElapsed, callStatus, endText, isCall, lingerMs, offersRedial, reduceCall } from '../src/core/calls';
import { callDuration, callHistoryText, missedCall } from '../src/core/callhistory';
import { systemText } from '../src/core/groups';
import type { SystemEvent } from '../src/core/types';

const ALICE = 1;
const BOB = 2;

function call(over: Partial<Call> = {}): Call {
  return {
    call_id: 'a'.repeat(32),
    conversation_id: 7,
    caller_id: ALICE,
    callee_id: BOB,
    media: 'video',
    state: 'ringing',
    started_at: 1000,
    answered_at: null,
    ended_at: null,
    end_reason: null,
    ...over,
  };
}

const ended = (reason: Call['end_reason'], over: Partial<Call> = {}) => call({ state: 'ended', end_reason: reason, ended_at: 9000, ...over });

function run(s: CallState, ...actions: Parameters<typeof reduceCall>[1][]): CallState {
  return actions.reduce(reduceCall, s);
}

const dialled = () => run(IDLE, { type: 'dial', conversationId: 7, peerId: BOB, media: 'video' });
const ringingOut = () => run(dialled(), { type: 'started', call: call(), now: 1000 });
const ringingIn = () => run(IDLE, { type: 'incoming', call: call(), sdp: 'offer', me: BOB });

describe('outgoing calls', () => {
  it('goes calling → ringing → connecting → active, with a timer from when media flowed', () => {
    let s = dialled();
    expect(s.phase).toBe('outgoing');
    expect(callStatus(s, 0)).toBe('Calling…');
    s = reduceCall(s, { type: 'started', call: call(), now: 1000 });
    expect(callStatus(s, 0)).toBe('Ringing…');
    s = reduceCall(s, { type: 'accepted', call: call({ state: 'active', answered_at: 2000 }) });
    expect(s.phase).toBe('connecting');
    expect(callStatus(s, 0)).toBe('Connecting…');
    s = reduceCall(s, { type: 'media_up', now: 10_000 });
    expect(s.phase).toBe('active');
    expect(callStatus(s, 10_000 + 151_000)).toBe('2:31');
    expect(callElapsed(s, 10_000 + 5_400)).toBe(5_400);
  });

  it('a busy callee ends the call at once, and the screen offers to call again', () => {
    const s = run(dialled(), { type: 'started', call: ended('busy'), now: 1000 });
    expect(s.phase).toBe('ended');
    expect(endText(s)).toBe('Busy');
    expect(lingerMs(s)).toBeNull();
    expect(offersRedial(s)).toBe(true);
  });

  it('says "Declined" and "No answer" from the caller\'s side', () => {
    const d = run(ringingOut(), { type: 'ended', call: ended('declined'), now: 5000 });
    expect(endText(d)).toBe('Declined');
    const n = run(ringingOut(), { type: 'ended', call: ended('no_answer'), now: 5000 });
    expect(endText(n)).toBe('No answer');
    expect(lingerMs(n)).toBeNull();
  });

  it('hanging up while it rings cancels, and the screen closes at once', () => {
    const s = run(ringingOut(), { type: 'hangup', now: 3000 });
    expect(s.end).toEqual({ reason: 'cancelled', byMe: true });
    expect(endText(s)).toBe('Call cancelled');
    expect(lingerMs(s)).toBe(0);
    // The server's call_ended for the same call changes nothing visible.
    const again = reduceCall(s, { type: 'ended', call: ended('cancelled'), now: 3100 });
    expect(again.end).toEqual(s.end);
  });

  it('hanging up an active call shows its length briefly', () => {
    const s = run(ringingOut(), { type: 'accepted', call: call({ state: 'active' }) }, { type: 'media_up', now: 10_000 }, { type: 'hangup', now: 15_500 });
    expect(s.end).toEqual({ reason: 'completed', byMe: true });
    expect(endText(s)).toBe('Call ended · 0:05');
    expect(lingerMs(s)).toBeGreaterThan(0);
    expect(callStatus(s, 99_999)).toBe('Call ended · 0:05');
  });

  it('cannot dial while a call is in progress, but can from the ended screen', () => {
    const s = ringingOut();
    expect(reduceCall(s, { type: 'dial', conversationId: 9, peerId: 3, media: 'audio' })).toBe(s);
    const e = run(s, { type: 'ended', call: ended('no_answer'), now: 1 });
    expect(reduceCall(e, { type: 'dial', conversationId: 7, peerId: BOB, media: 'video' }).phase).toBe('outgoing');
  });

  it('ignores events about other calls', () => {
    const s = ringingOut();
    const other = call({ call_id: 'b'.repeat(32) });
    expect(reduceCall(s, { type: 'accepted', call: other })).toBe(s);
    expect(reduceCall(s, { type: 'ended', call: { ...other, state: 'ended', end_reason: 'declined' }, now: 1 })).toBe(s);
    // Before call_start was answered, no event can be matched to the call.
    expect(reduceCall(dialled(), { type: 'ended', call: ended('declined'), now: 1 }).phase).toBe('outgoing');
  });

  it('a local failure ends the call with its reason', () => {
    const s = run(dialled(), { type: 'failed', detail: 'Parley needs your microphone for calls.', now: 1 });
    expect(s.phase).toBe('ended');
    expect(endText(s)).toBe('Parley needs your microphone for calls.');
  });
});

describe('incoming calls', () => {
  it('rings with the offer, answers, connects', () => {
    let s = ringingIn();
    expect(s).toMatchObject({ phase: 'incoming', direction: 'incoming', peerId: ALICE, conversationId: 7, offer: 'offer', media: 'video' });
    expect(callStatus(s, 0)).toBe('Incoming video call');
    s = reduceCall(s, { type: 'answer' });
    expect(s.phase).toBe('connecting');
    expect(s.offer).toBeUndefined();
    s = reduceCall(s, { type: 'accepted', call: call({ state: 'active' }) });
    expect(s.phase).toBe('connecting');
    s = reduceCall(s, { type: 'media_up', now: 5 });
    expect(s.phase).toBe('active');
  });

  it('is only for the callee, only while ringing, and not during another call', () => {
    expect(reduceCall(IDLE, { type: 'incoming', call: call(), sdp: 'x', me: ALICE })).toBe(IDLE);
    expect(reduceCall(IDLE, { type: 'incoming', call: ended('cancelled'), sdp: 'x', me: BOB })).toBe(IDLE);
    const busy = run(IDLE, { type: 'dial', conversationId: 3, peerId: 5, media: 'audio' });
    expect(reduceCall(busy, { type: 'incoming', call: call(), sdp: 'x', me: BOB })).toBe(busy);
    // The same call delivered twice (after a reconnect) changes nothing.
    const s = ringingIn();
    expect(reduceCall(s, { type: 'incoming', call: call(), sdp: 'x', me: BOB })).toBe(s);
  });

  it('declining closes the screen at once', () => {
    const s = run(ringingIn(), { type: 'hangup', now: 2 });
    expect(s.end).toEqual({ reason: 'declined', byMe: true });
    expect(lingerMs(s)).toBe(0);
  });

  it('an answer or decline on another device closes the screen', () => {
    for (const reason of ['answered_elsewhere', 'declined_elsewhere'] as const) {
      const s = run(ringingIn(), { type: 'ended', call: ended(reason), now: 2 });
      expect(s.phase).toBe('ended');
      expect(lingerMs(s)).toBe(0);
      expect(offersRedial(s)).toBe(false);
    }
  });

  it('a call that stops ringing unanswered is a missed call', () => {
    for (const reason of ['no_answer', 'cancelled', 'disconnected'] as const) {
      const s = run(ringingIn(), { type: 'ended', call: ended(reason), now: 2 });
      expect(endText(s)).toBe('Missed call');
      expect(lingerMs(s)).toBeNull();
      expect(offersRedial(s)).toBe(true);
    }
  });

  it('the caller dropping out of an answered call is a lost connection', () => {
    const s = run(ringingIn(), { type: 'answer' }, { type: 'accepted', call: call({ state: 'active', answered_at: 5 }) }, { type: 'media_up', now: 0 },
      { type: 'ended', call: ended('disconnected', { answered_at: 5 }), now: 61_000 });
    expect(endText(s)).toBe('Call ended: connection lost · 1:01');
  });
});

describe('media interruptions', () => {
  it('shows "Reconnecting…" while the path is down, and the timer again after', () => {
    let s = run(ringingOut(), { type: 'accepted', call: call() }, { type: 'media_up', now: 0 });
    s = reduceCall(s, { type: 'media_down' });
    expect(callStatus(s, 5000)).toBe('Reconnecting…');
    s = reduceCall(s, { type: 'media_up', now: 6000 });
    expect(callStatus(s, 7000)).toBe('0:07');
    // media_down before media ever flowed is not an interruption.
    const c = run(ringingOut(), { type: 'accepted', call: call() });
    expect(reduceCall(c, { type: 'media_down' })).toBe(c);
  });

  it('dismiss returns to idle only from the ended screen', () => {
    expect(reduceCall(ringingOut(), { type: 'dismiss' }).phase).toBe('outgoing');
    expect(reduceCall(run(ringingOut(), { type: 'hangup', now: 1 }), { type: 'dismiss' })).toBe(IDLE);
  });
});

describe('Gate', () => {
  it('holds items until opened, then lets them through in order', () => {
    const out: number[] = [];
    const g = new Gate<number>((n) => out.push(n));
    g.put(1);
    g.put(2);
    expect(out).toEqual([]);
    expect(g.waiting).toBe(2);
    g.open();
    g.put(3);
    g.open();
    expect(out).toEqual([1, 2, 3]);
  });

  it('is bounded while shut', () => {
    const out: number[] = [];
    const g = new Gate<number>((n) => out.push(n), 3);
    for (let i = 0; i < 10; i++) g.put(i);
    g.open();
    expect(out).toEqual([0, 1, 2]);
  });
});

describe('isCall', () => {
  it('accepts a call object and refuses half-valid ones', () => {
    expect(isCall(call())).toBe(true);
    expect(isCall(null)).toBe(false);
    expect(isCall({ ...call(), media: 'screen' })).toBe(false);
    expect(isCall({ ...call(), call_id: 5 })).toBe(false);
    expect(isCall({ ...call(), state: 'weird' })).toBe(false);
  });
});

describe('call history lines', () => {
  const ev = (outcome: string, media = 'video', duration_ms = 0, actor_id = ALICE): SystemEvent =>
    ({ event: 'call', actor_id, call: { call_id: 'x', media, outcome, duration_ms } }) as SystemEvent;

  it('formats durations', () => {
    expect(callDuration(0)).toBe('0:00');
    expect(callDuration(5_999)).toBe('0:05');
    expect(callDuration(151_000)).toBe('2:31');
    expect(callDuration(3_723_000)).toBe('1:02:03');
  });

  it('reads from the caller\'s side', () => {
    expect(callHistoryText(ev('completed', 'video', 151_000), ALICE)).toBe('Outgoing video call · 2:31');
    expect(callHistoryText(ev('missed', 'audio'), ALICE)).toBe('Outgoing voice call · No answer');
    expect(callHistoryText(ev('declined'), ALICE)).toBe('Outgoing video call · Declined');
    expect(callHistoryText(ev('busy'), ALICE)).toBe('Outgoing video call · Busy');
    expect(callHistoryText(ev('cancelled'), ALICE)).toBe('Outgoing video call · Cancelled');
    expect(missedCall(ev('missed'), ALICE)).toBe(false);
  });

  it('reads from the callee\'s side', () => {
    expect(callHistoryText(ev('completed', 'audio', 5_000), BOB)).toBe('Incoming voice call · 0:05');
    expect(callHistoryText(ev('missed', 'audio'), BOB)).toBe('Missed voice call');
    expect(callHistoryText(ev('cancelled'), BOB)).toBe('Missed video call');
    expect(callHistoryText(ev('declined', 'audio'), BOB)).toBe('Declined voice call');
    expect(callHistoryText(ev('busy', 'audio'), BOB)).toBe('Missed voice call · Busy');
    expect(missedCall(ev('missed'), BOB)).toBe(true);
    expect(missedCall(ev('completed'), BOB)).toBe(false);
  });

  it('is what the chat and the chat list show, and copes with a malformed record', () => {
    expect(systemText(ev('missed', 'audio'), BOB, () => 'Alice')).toBe('Missed voice call');
    expect(callHistoryText({ event: 'call', actor_id: ALICE } as SystemEvent, BOB)).toBe('Unsupported message');
    expect(callHistoryText(ev('completed', 'hologram'), BOB)).toBe('Unsupported message');
  });
});
