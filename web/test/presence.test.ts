import { describe, expect, it } from 'vitest';
import { shownName, sortContacts } from '../src/core/contacts';
import { lastSeenText, presenceSubscription, sameIds } from '../src/core/presence';

describe('last seen', () => {
  const now = new Date(2026, 10, 22, 15, 0).getTime();

  it('says online while online', () => {
    expect(lastSeenText({ online: true, last_seen: null }, now, 'en-GB')).toBe('online');
  });

  it('uses today / yesterday with the time, and a date before that', () => {
    expect(lastSeenText({ online: false, last_seen: new Date(2026, 10, 22, 14, 5).getTime() }, now, 'en-GB')).toBe('last seen today at 14:05');
    expect(lastSeenText({ online: false, last_seen: new Date(2026, 10, 22, 0, 0).getTime() }, now, 'en-GB')).toBe('last seen today at 00:00');
    expect(lastSeenText({ online: false, last_seen: new Date(2026, 10, 21, 23, 59).getTime() }, now, 'en-GB')).toBe('last seen yesterday at 23:59');
    expect(lastSeenText({ online: false, last_seen: new Date(2026, 10, 21, 9, 30).getTime() }, now, 'en-GB')).toBe('last seen yesterday at 09:30');
    expect(lastSeenText({ online: false, last_seen: new Date(2026, 10, 20, 23, 59).getTime() }, now, 'en-GB')).toBe('last seen 20/11/2026');
    expect(lastSeenText({ online: false, last_seen: new Date(2025, 0, 2, 8, 0).getTime() }, now, 'en-GB')).toBe('last seen 02/01/2025');
  });

  it('yesterday across a month boundary', () => {
    const first = new Date(2026, 11, 1, 10, 0).getTime();
    expect(lastSeenText({ online: false, last_seen: new Date(2026, 10, 30, 22, 15).getTime() }, first, 'en-GB')).toBe('last seen yesterday at 22:15');
  });

  it('shows nothing when hidden, never seen or unknown', () => {
    expect(lastSeenText({ online: false, last_seen: null }, now, 'en-GB')).toBe('');
    expect(lastSeenText(undefined, now, 'en-GB')).toBe('');
  });
});

describe('presence subscription set', () => {
  it('has the open peer and the visible peers, once each, without me, sorted', () => {
    expect(presenceSubscription(7, [3, 7, 1, 3, 9], 1)).toEqual([3, 7, 9]);
    expect(presenceSubscription(null, [], 1)).toEqual([]);
    expect(presenceSubscription(undefined, [5, 4], 1)).toEqual([4, 5]);
  });

  it('caps at 256 users and always keeps the open peer', () => {
    const visible = Array.from({ length: 400 }, (_, i) => i + 2);
    const set = presenceSubscription(1000, visible, 1);
    expect(set).toHaveLength(256);
    expect(set).toContain(1000);
    expect(set).not.toContain(1);
  });

  it('compares sets so that an unchanged set is not sent again', () => {
    expect(sameIds(null, [])).toBe(false);
    expect(sameIds([], [])).toBe(true);
    expect(sameIds(presenceSubscription(2, [3], 1), presenceSubscription(3, [2], 1))).toBe(true);
    expect(sameIds([2, 3], [2, 4])).toBe(false);
    expect(sameIds([2], [2, 3])).toBe(false);
  });
});

describe('contact names', () => {
  const bob = { id: 2, username: 'bob', display_name: 'Bob Builder' };
  const carol = { id: 3, username: 'carol', display_name: 'Carol' };
  it('prefers the nickname over the display name', () => {
    const contacts = new Map([[2, { user: bob, nickname: 'Bobby' }]]);
    expect(shownName(bob, contacts)).toBe('Bobby');
    expect(shownName(carol, contacts)).toBe('Carol');
    expect(shownName(bob, new Map([[2, { user: bob, nickname: '  ' }]]))).toBe('Bob Builder');
  });
  it('sorts by the shown name', () => {
    expect(sortContacts([{ user: carol }, { user: bob, nickname: 'Zed' }]).map((c) => c.user.id)).toEqual([3, 2]);
  });
});
