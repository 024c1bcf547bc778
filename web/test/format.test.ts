import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../src/core/backoff';
import { clockTime, conversationName, dayLabel, initials, isValidUsername, listTime, normalizeUsername, shortDate, titleFor } from '../src/core/format';

describe('format helpers', () => {
  it('titles the tab with the unread count', () => {
    expect(titleFor(0)).toBe('Parley');
    expect(titleFor(3)).toBe('(3) Parley');
  });

  it('validates usernames like the server', () => {
    expect(isValidUsername(normalizeUsername(' @Bob '))).toBe(true);
    expect(isValidUsername('1bob')).toBe(false);
    expect(isValidUsername('ab')).toBe(false);
    expect(isValidUsername('a'.repeat(33))).toBe(false);
  });

  it('shows list times relative to today', () => {
    const now = new Date(2026, 10, 22, 15, 0).getTime();
    expect(listTime(new Date(2026, 10, 22, 9, 5).getTime(), now, 'en-GB')).toBe('09:05');
    expect(listTime(new Date(2026, 10, 21, 9, 5).getTime(), now, 'en-GB')).toBe('Yesterday');
    expect(listTime(new Date(2026, 0, 2).getTime(), now, 'en-GB')).toBe('02/01/2026');
  });

  it('makes initials', () => {
    expect(initials('Alice Liddell')).toBe('AL');
    expect(initials('bob')).toBe('B');
    expect(initials('  ')).toBe('?');
  });
});

describe('backoff', () => {
  it('doubles from 0.5 s to 30 s with +-50% jitter', () => {
    expect(backoffDelay(0, { random: () => 0.5 })).toBe(500);
    expect(backoffDelay(1, { random: () => 0.5 })).toBe(1000);
    expect(backoffDelay(10, { random: () => 0.5 })).toBe(30000);
    expect(backoffDelay(3, { random: () => 0 })).toBe(2000);
    expect(backoffDelay(3, { random: () => 0.999999 })).toBeLessThanOrEqual(6000);
  });
});

describe('conversationName', () => {
  const m = (id: number, display_name: string) => ({ user: { id, display_name } });
  it('uses the peer of a direct chat', () => {
    expect(conversationName({ kind: 'direct', peer: { display_name: 'Bob' }, members: [m(1, 'Alice'), m(2, 'Bob')] }, 1)).toBe('Bob');
  });
  it('falls back to the other members', () => {
    expect(conversationName({ kind: 'direct', members: [m(1, 'Alice'), m(2, 'Bob')] }, 1)).toBe('Bob');
    expect(conversationName({ kind: 'other', members: [m(1, 'A'), m(2, 'B'), m(3, 'C'), m(4, 'D'), m(5, 'E')] }, 1)).toBe('B, C, D +1');
    expect(conversationName({ kind: 'other', members: [m(1, 'A')] }, 1)).toBe('Unknown');
  });
});

describe('date formatters', () => {
  it('build one Intl.DateTimeFormat per locale and format, however many times they format', () => {
    const real = Intl.DateTimeFormat;
    let made = 0;
    const counting = function (this: unknown, ...args: ConstructorParameters<typeof Intl.DateTimeFormat>) {
      made += 1;
      return new real(...args);
    } as unknown as typeof Intl.DateTimeFormat;
    Intl.DateTimeFormat = counting;
    try {
      const now = Date.UTC(2026, 10, 20, 12, 0);
      for (let i = 0; i < 1000; i++) {
        clockTime(now - i * 60_000, 'en-US');
        listTime(now - i * 3_600_000, now, 'en-US');
        dayLabel(now - i * 86_400_000, now, 'en-US');
      }
      expect(made).toBeLessThanOrEqual(4); // clock, weekday, short date, long date
    } finally {
      Intl.DateTimeFormat = real;
    }
  });

  it('format exactly as toLocale*String does', () => {
    const ts = Date.UTC(2026, 0, 5, 7, 9);
    expect(clockTime(ts, 'en-GB')).toBe(new Date(ts).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false }));
    expect(shortDate(ts, 'de-DE')).toBe(new Date(ts).toLocaleDateString('de-DE', { year: 'numeric', month: '2-digit', day: '2-digit' }));
  });
});

