import { describe, expect, it } from 'vitest';
import { HeldHandlers, type ConnState, type ConnectionHandlers, type ReadyFrame } from '../src/platform/connection';

const READY: ReadyFrame = { type: 'ready', user: { id: 1, username: 'ann', display_name: 'Ann' } as any, session_id: 7, heartbeat_ms: 25000, version: 3 };

/** Records every call, in order. */
function recorder(): ConnectionHandlers & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    onReady: (r) => calls.push(`ready:${r.version}`),
    onEvent: (f: any) => calls.push(`event:${f.n}`),
    onState: (s: ConnState) => calls.push(`state:${s}`),
    onAuthFailed: () => calls.push('auth-failed'),
    onDisconnect: () => calls.push('disconnect'),
  };
}

describe('HeldHandlers', () => {
  it('hands over the ready frame and the events after it in order, then passes everything on', () => {
    const held = new HeldHandlers();
    held.onState('connecting');
    held.onReady(READY);
    held.onEvent({ n: 1 });
    held.onEvent({ n: 2 });
    const t = recorder();
    held.attach(t, 'online');
    held.onEvent({ n: 3 });
    held.onDisconnect();
    held.onState('offline');
    expect(t.calls).toEqual(['state:online', 'ready:3', 'event:1', 'event:2', 'event:3', 'disconnect', 'state:offline']);
  });

  it('attaching before the connection is ready hands over only the state', () => {
    const held = new HeldHandlers();
    const t = recorder();
    held.attach(t, 'connecting');
    held.onReady(READY);
    expect(t.calls).toEqual(['state:connecting', 'ready:3']);
  });

  it('forgets the ready frame and its events when the socket closed before attach', () => {
    const held = new HeldHandlers();
    held.onReady(READY);
    held.onEvent({ n: 1 });
    held.onDisconnect();
    const t = recorder();
    held.attach(t, 'offline');
    expect(t.calls).toEqual(['state:offline']);
  });

  it('holds no event that came before the ready frame', () => {
    const held = new HeldHandlers();
    held.onEvent({ n: 0 });
    held.onReady(READY);
    const t = recorder();
    held.attach(t, 'online');
    expect(t.calls).toEqual(['state:online', 'ready:3']);
  });

  it('reports a failed authentication at attach, and nothing else', () => {
    const held = new HeldHandlers();
    held.onAuthFailed();
    const t = recorder();
    held.attach(t, 'offline');
    expect(t.calls).toEqual(['state:offline', 'auth-failed']);
  });

  it('holds at most MAX_HELD_EVENTS events (the sync after ready brings the rest)', () => {
    const held = new HeldHandlers();
    held.onReady(READY);
    for (let n = 0; n < HeldHandlers.MAX_HELD_EVENTS + 50; n++) held.onEvent({ n });
    const t = recorder();
    held.attach(t, 'online');
    const events = t.calls.filter((c) => c.startsWith('event:'));
    expect(events).toHaveLength(HeldHandlers.MAX_HELD_EVENTS);
    expect(events.at(-1)).toBe(`event:${HeldHandlers.MAX_HELD_EVENTS - 1}`);
  });
});
