import { describe, expect, it } from 'vitest';
import { ReceiptQueue, type Owed, type ReceiptKind } from '../src/core/receipts';
import { ApiError } from '../src/core/types';

interface Sent {
  kind: ReceiptKind;
  id: number;
  seq: number;
  resolve(): void;
  reject(e: unknown): void;
}

/** A queue over a fake connection whose answers the test gives, and a fake clock. */
function setup(initial: Owed = {}, max = 3) {
  const sent: Sent[] = [];
  const acked: string[] = [];
  const dropped: string[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  let ready = true;
  let changes = 0;
  const q = new ReceiptQueue(initial, {
    maxInFlight: max,
    ready: () => ready,
    send: (kind, id, seq) =>
      new Promise<void>((resolve, reject) => {
        sent.push({ kind, id, seq, resolve, reject });
      }),
    acked: (kind, id, seq) => acked.push(`${kind} ${id} ${seq}`),
    dropped: (kind, id, seq, code) => dropped.push(`${kind} ${id} ${seq} ${code}`),
    changed: () => changes++,
    setTimer: (fn, ms) => {
      const t = { fn, ms };
      timers.push(t);
      return t;
    },
    clearTimer: (h) => {
      const i = timers.indexOf(h as (typeof timers)[number]);
      if (i >= 0) timers.splice(i, 1);
    },
    random: () => 0.5,
  });
  const settle = () => new Promise((r) => setTimeout(r, 0));
  /** Answers the oldest unanswered request with ok (or the given error). */
  const answer = async (err?: unknown) => {
    const s = sent.find((x) => !(x as any).done)!;
    (s as any).done = true;
    if (err) s.reject(err);
    else s.resolve();
    await settle();
    return s;
  };
  const open = () => sent.filter((x) => !(x as any).done);
  const fire = async () => {
    const t = timers.shift()!;
    t.fn();
    await settle();
    return t.ms;
  };
  return {
    q, sent, acked, dropped, timers, answer, open, fire, settle,
    setReady: (v: boolean) => (ready = v),
    changes: () => changes,
  };
}

const key = (s: Sent) => `${s.kind} ${s.id} ${s.seq}`;

describe('ReceiptQueue', () => {
  it('never has more than maxInFlight unanswered, and sends the rest as answers come back', async () => {
    const t = setup({}, 3);
    for (let id = 1; id <= 10; id++) t.q.owe(id, 'delivered', id * 2);
    t.q.pump();
    expect(t.open().map(key)).toEqual(['delivered 1 2', 'delivered 2 4', 'delivered 3 6']);
    let most = 0;
    while (t.open().length > 0) {
      most = Math.max(most, t.open().length);
      await t.answer();
    }
    expect(most).toBe(3);
    expect(t.sent).toHaveLength(10);
    expect(t.acked).toEqual(Array.from({ length: 10 }, (_, i) => `delivered ${i + 1} ${(i + 1) * 2}`));
    expect(t.q.size).toBe(0);
    expect(t.q.pending()).toEqual({});
  });

  it('coalesces a newer watermark for a queued conversation into the queued receipt', () => {
    const t = setup({}, 1);
    t.q.owe(1, 'delivered', 3);
    t.q.owe(2, 'delivered', 5);
    t.q.owe(2, 'delivered', 9);
    t.q.owe(2, 'delivered', 7); // older: nothing
    expect(t.q.size).toBe(2);
    expect(t.q.pending()).toEqual({ 1: { delivered: 3 }, 2: { delivered: 9 } });
  });

  it('a read at least as high replaces a queued delivered; a delivered under a read is not owed', () => {
    const t = setup({}, 1);
    t.q.owe(4, 'delivered', 10);
    t.q.owe(4, 'read', 10);
    t.q.owe(4, 'delivered', 8);
    expect(t.q.pending()).toEqual({ 4: { read: 10 } });
    t.q.owe(4, 'delivered', 12); // a newer message reached the device after the read
    expect(t.q.pending()).toEqual({ 4: { read: 10, delivered: 12 } });
  });

  it('sends reads before delivered receipts', () => {
    const t = setup({}, 2);
    t.q.owe(1, 'delivered', 1);
    t.q.owe(2, 'delivered', 1);
    t.q.owe(3, 'read', 4);
    t.q.pump();
    expect(t.open().map(key)).toEqual(['read 3 4', 'delivered 1 1']);
  });

  it('holds a newer watermark while the older one for the same chat is in flight, then sends it', async () => {
    const t = setup({}, 5);
    t.q.owe(1, 'delivered', 3);
    t.q.pump();
    t.q.owe(1, 'delivered', 6);
    t.q.owe(1, 'delivered', 2); // under what is in flight: nothing
    t.q.pump();
    expect(t.open().map(key)).toEqual(['delivered 1 3']);
    expect(t.q.pending()).toEqual({ 1: { delivered: 6 } });
    await t.answer();
    expect(t.open().map(key)).toEqual(['delivered 1 6']);
    await t.answer();
    expect(t.acked).toEqual(['delivered 1 3', 'delivered 1 6']);
  });

  it('rate_limited: puts the receipt back and waits retry_after_ms before sending anything more', async () => {
    const t = setup({}, 2);
    for (let id = 1; id <= 4; id++) t.q.owe(id, 'delivered', 1);
    t.q.pump();
    await t.answer(new ApiError('rate_limited', 'slow down', 0, 250));
    expect(t.timers.map((x) => x.ms)).toEqual([250]);
    expect(t.open().map(key)).toEqual(['delivered 2 1']); // nothing new while waiting
    await t.answer(new ApiError('rate_limited', 'slow down', 0, 900)); // a second refusal: one wait
    expect(t.timers).toHaveLength(1);
    expect(t.open()).toHaveLength(0);
    expect(t.q.size).toBe(4);
    await t.fire();
    expect(t.open()).toHaveLength(1); // the window was halved
    while (t.open().length) await t.answer();
    expect(t.acked.sort()).toEqual(['delivered 1 1', 'delivered 2 1', 'delivered 3 1', 'delivered 4 1']);
    expect(t.dropped).toEqual([]);
  });

  it('rate_limited halves the window once per wait; answers widen it again up to the limit', async () => {
    const t = setup({}, 8);
    for (let id = 1; id <= 200; id++) t.q.owe(id, 'delivered', 1);
    t.q.pump();
    expect(t.open()).toHaveLength(8);
    // A server that allows fewer in flight refuses several of one burst: one halving.
    for (let i = 0; i < 5; i++) await t.answer(new ApiError('rate_limited', 'too many in flight', 0, 100));
    expect(t.q.windowNow).toBe(4);
    while (t.open().length) await t.answer();
    await t.fire();
    expect(t.open()).toHaveLength(4);
    let most = 0;
    while (t.open().length) {
      most = Math.max(most, t.open().length);
      await t.answer();
    }
    expect(t.q.windowNow).toBe(8);
    expect(most).toBeLessThanOrEqual(8);
    expect(new Set(t.acked).size).toBe(200);
  });

  it('rate_limited without retry_after_ms waits a second', async () => {
    const t = setup({}, 1);
    t.q.owe(1, 'read', 1);
    t.q.pump();
    await t.answer(new ApiError('rate_limited', 'x'));
    expect(t.timers.map((x) => x.ms)).toEqual([1000]);
  });

  it('a lost connection puts the unanswered receipts back; resume() sends them again', async () => {
    const t = setup({}, 2);
    t.q.owe(1, 'delivered', 5);
    t.q.owe(2, 'read', 7);
    t.q.owe(3, 'delivered', 2);
    t.q.pump();
    t.setReady(false);
    await t.answer(new ApiError('disconnected', 'gone'));
    await t.answer(new ApiError('disconnected', 'gone'));
    expect(t.open()).toHaveLength(0);
    expect(t.timers).toHaveLength(0); // no timer: the connection coming back sends them
    expect(t.q.pending()).toEqual({ 1: { delivered: 5 }, 2: { read: 7 }, 3: { delivered: 2 } });
    t.setReady(true);
    t.q.resume();
    expect(t.open()).toHaveLength(2);
    while (t.open().length) await t.answer();
    expect(t.acked.sort()).toEqual(['delivered 1 5', 'delivered 3 2', 'read 2 7']);
  });

  it('a timeout is retried like a lost connection, and a newer watermark that came meanwhile wins', async () => {
    const t = setup({}, 1);
    t.q.owe(1, 'delivered', 5);
    t.q.pump();
    t.q.owe(1, 'delivered', 8);
    t.setReady(false);
    await t.answer(new ApiError('timeout', 'no answer'));
    expect(t.q.pending()).toEqual({ 1: { delivered: 8 } });
    t.setReady(true);
    t.q.resume();
    expect(t.open().map(key)).toEqual(['delivered 1 8']);
  });

  it('refusals for good (not a member, seq unknown) are dropped and reported, not retried', async () => {
    const t = setup({}, 3);
    t.q.owe(1, 'delivered', 5);
    t.q.owe(2, 'read', 99);
    t.q.owe(3, 'delivered', 1);
    t.q.pump();
    expect(t.open().map(key)).toEqual(['read 2 99', 'delivered 1 5', 'delivered 3 1']);
    await t.answer(new ApiError('invalid_argument', 'seq beyond the last message'));
    await t.answer(new ApiError('not_found', 'no such conversation'));
    await t.answer();
    expect(t.dropped).toEqual(['read 2 99 invalid_argument', 'delivered 1 5 not_found']);
    expect(t.acked).toEqual(['delivered 3 1']);
    expect(t.sent).toHaveLength(3);
    expect(t.q.size).toBe(0);
  });

  it('other errors are retried after a growing wait, which an ok resets', async () => {
    const t = setup({}, 1);
    t.q.owe(1, 'delivered', 5);
    t.q.pump();
    await t.answer(new ApiError('unavailable', 'busy'));
    const first = await t.fire();
    await t.answer(new ApiError('internal', 'oops'));
    const second = await t.fire();
    expect(second).toBeGreaterThan(first);
    await t.answer(new Error('not even an ApiError'));
    await t.fire();
    expect(t.open().map(key)).toEqual(['delivered 1 5']);
    await t.answer();
    expect(t.acked).toEqual(['delivered 1 5']);
    expect(t.sent).toHaveLength(4);
  });

  it('sends nothing while the connection is not ready', () => {
    const t = setup({}, 3);
    t.setReady(false);
    t.q.owe(1, 'delivered', 1);
    t.q.pump();
    expect(t.sent).toHaveLength(0);
    expect(t.q.size).toBe(1);
  });

  it('starts from the persisted form, ignoring damaged entries, and pending() round-trips it', () => {
    const stored = { 7: { delivered: 3, read: 2 }, 8: { read: 4 }, x: { read: 1 }, 9: null, 10: { delivered: -1 } } as unknown as Owed;
    const t = setup(stored, 1);
    expect(t.q.pending()).toEqual({ 7: { delivered: 3, read: 2 }, 8: { read: 4 } });
    t.q.pump();
    // In flight still counts as owed: a reload before the answer sends it again.
    expect(t.open().map(key)).toEqual(['read 7 2']);
    expect(t.q.pending()).toEqual({ 7: { delivered: 3, read: 2 }, 8: { read: 4 } });
  });

  it('1,050 chats after a first sync: every one acknowledged, never more than the limit in flight', async () => {
    const t = setup({}, 32);
    for (let id = 1; id <= 1050; id++) t.q.owe(id, 'delivered', 100 + id);
    t.q.pump();
    let most = 0;
    let n = 0;
    while (t.open().length) {
      most = Math.max(most, t.open().length);
      // Every 100th answer is a rate limit, as from a server whose bucket ran dry.
      await t.answer(++n % 100 === 0 ? new ApiError('rate_limited', 'x', 0, 10) : undefined);
      if (t.open().length === 0 && t.timers.length) await t.fire();
    }
    expect(most).toBe(32);
    expect(new Set(t.acked).size).toBe(1050);
    expect(t.q.size).toBe(0);
    expect(t.changes()).toBeGreaterThan(0);
  });
});
