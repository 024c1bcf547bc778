import { describe, expect, it } from 'vitest';
import { Outbox, type OutboxPersistence } from '../src/core/outbox';
import type { OutboxEntry } from '../src/core/types';

function setup(initial: OutboxEntry[] = [], prefix = 'id') {
  let n = 0;
  let now = 1000;
  const log: string[] = [];
  const stored = new Map<string, OutboxEntry>();
  const persist: OutboxPersistence = {
    put: (e) => {
      log.push(`put ${e.client_id} ${e.state}`);
      stored.set(e.client_id, { ...e });
    },
    delete: (id) => {
      log.push(`delete ${id}`);
      stored.delete(id);
    },
  };
  const box = new Outbox(initial, {
    newId: () => `${prefix}-${++n}`,
    now: () => now,
    random: () => 0.5,
    persist,
  });
  return { box, log, stored, advance: (ms: number) => (now += ms) };
}

describe('Outbox', () => {
  it('gives each message a client id once and persists it', () => {
    const { box, stored } = setup();
    const a = box.add(7, 'hello');
    const b = box.add(7, 'world');
    expect(a.client_id).toBe('id-1');
    expect(b.client_id).toBe('id-2');
    expect(a.order).toBeLessThan(b.order);
    expect([...stored.keys()]).toEqual(['id-1', 'id-2']);
    expect(stored.get('id-1')!.state).toBe('pending');
  });

  it('drains in order per conversation, one in flight at a time', () => {
    const { box } = setup();
    const a1 = box.add(7, 'a1');
    const b1 = box.add(8, 'b1');
    const a2 = box.add(7, 'a2');
    expect(box.ready().map((e) => e.client_id)).toEqual([a1.client_id, b1.client_id]);
    box.markInFlight(a1.client_id);
    // a2 must wait for a1; conversation 8 is independent.
    expect(box.ready().map((e) => e.client_id)).toEqual([b1.client_id]);
    box.ack(a1.client_id);
    expect(box.ready().map((e) => e.client_id)).toEqual([b1.client_id, a2.client_id]);
  });

  it('removes an entry on ack, in memory and in storage', () => {
    const { box, stored, log } = setup();
    const a = box.add(7, 'x');
    box.markInFlight(a.client_id);
    const removed = box.ack(a.client_id);
    expect(removed?.text).toBe('x');
    expect(box.size).toBe(0);
    expect(stored.size).toBe(0);
    expect(log.at(-1)).toBe(`delete ${a.client_id}`);
    expect(box.ready()).toEqual([]);
  });

  it('keeps the same client id on every retry (lost connection, transient errors)', () => {
    const { box, advance } = setup();
    const a = box.add(7, 'x');
    box.markInFlight(a.client_id);
    box.connectionLost();
    expect(box.ready()[0].client_id).toBe(a.client_id);
    box.markInFlight(a.client_id);
    expect(box.fail(a.client_id, 'unavailable')).toBe('pending');
    // Backoff: not sendable immediately...
    expect(box.ready()).toEqual([]);
    expect(box.nextWakeUp()).toBeGreaterThan(1000);
    advance(60_000);
    const again = box.ready();
    expect(again).toHaveLength(1);
    expect(again[0].client_id).toBe(a.client_id);
    expect(again[0].attempts).toBe(2);
  });

  it('honours retry_after_ms of rate_limited', () => {
    const { box, advance } = setup();
    const a = box.add(7, 'x');
    box.markInFlight(a.client_id);
    box.fail(a.client_id, 'rate_limited', 2500);
    expect(box.nextWakeUp()).toBe(3500);
    advance(2499);
    expect(box.ready()).toEqual([]);
    advance(1);
    expect(box.ready().map((e) => e.client_id)).toEqual([a.client_id]);
  });

  it('a waiting (rate-limited) head blocks later messages of its conversation', () => {
    const { box } = setup();
    const a = box.add(7, 'first');
    box.add(7, 'second');
    box.markInFlight(a.client_id);
    box.fail(a.client_id, 'internal', 1000);
    expect(box.ready()).toEqual([]);
  });

  it('marks permanent errors failed, skips them, and retries them on request with the same id', () => {
    const { box, stored } = setup();
    const a = box.add(7, 'too long');
    const b = box.add(7, 'fine');
    box.markInFlight(a.client_id);
    expect(box.fail(a.client_id, 'message_too_long')).toBe('failed');
    expect(box.get(a.client_id)!.state).toBe('failed');
    expect(box.get(a.client_id)!.error).toBe('message_too_long');
    expect(stored.get(a.client_id)!.state).toBe('failed');
    // The failed one no longer blocks the queue.
    expect(box.ready().map((e) => e.client_id)).toEqual([b.client_id]);
    box.markInFlight(b.client_id);
    box.ack(b.client_id);
    expect(box.ready()).toEqual([]);
    expect(box.retry(a.client_id)).toBe(true);
    expect(box.ready().map((e) => e.client_id)).toEqual([a.client_id]);
    expect(box.retry('nope')).toBe(false);
  });

  it('restores from persisted entries and continues the order after them', () => {
    const { box: first, stored } = setup();
    first.add(7, 'a');
    first.add(7, 'b');
    const { box } = setup([...stored.values()], 'later');
    const c = box.add(7, 'c');
    expect(box.all().map((e) => e.text)).toEqual(['a', 'b', 'c']);
    expect(c.order).toBe(3);
    expect(box.ready().map((e) => e.text)).toEqual(['a']);
  });

  it('discard removes an entry for good', () => {
    const { box, stored } = setup();
    const a = box.add(7, 'x');
    box.markInFlight(a.client_id);
    box.fail(a.client_id, 'invalid_argument');
    expect(box.discard(a.client_id)).toBe(true);
    expect(box.size).toBe(0);
    expect(stored.size).toBe(0);
  });
});
